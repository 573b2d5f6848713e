"""Operator commands for links: ``flask --app oneclick links warn`` (run it periodically, e.g. hourly from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..clock import utcnow
from ..notifications import services as notifications

links_cli = AppGroup("links", help="Maintain links.")


@links_cli.command("warn")
def warn_command() -> None:
    """Warn owners (mail and notification, once per link and expiry) whose links expire within
    LINK_WARN_EXPIRY_HOURS."""
    fired = notifications.send_link_warnings(utcnow())
    click.echo(f"Sent {fired} expiry warning{'s' if fired != 1 else ''}.")
