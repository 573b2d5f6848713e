"""Operator commands for invitations: ``flask --app oneclick invitations purge-captchas``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..clock import utcnow
from ..extensions import db
from . import captcha as captchas

invitations_cli = AppGroup("invitations", help="Maintain invitations.")


@invitations_cli.command("purge-captchas")
def purge_captchas_command() -> None:
    """Delete every answered or expired captcha (run it from cron or a scheduler)."""
    count = captchas.purge(utcnow())
    db.session.commit()
    click.echo(f"Deleted {count} captcha{'s' if count != 1 else ''}.")
