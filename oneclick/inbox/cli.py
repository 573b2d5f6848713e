"""Operator commands for inbound requests: ``flask --app oneclick requests purge-unconfirmed`` and
``flask --app oneclick notify digest`` (run both from cron or a scheduler)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..clock import utcnow
from ..privacy import services as privacy
from . import services

requests_cli = AppGroup("requests", help="Maintain inbound requests.")
notify_cli = AppGroup("notify", help="Owner notifications.")


@requests_cli.command("purge-unconfirmed")
def purge_unconfirmed_command() -> None:
    """Delete guest requests nobody confirmed within GUEST_CONFIRM_MAX_AGE (and spent confirmation links)."""
    gone = services.purge_unconfirmed(utcnow())
    click.echo(f"Deleted {gone} expired guest confirmation{'s' if gone != 1 else ''}.")


@requests_cli.command("erase-expired")
def erase_expired_command() -> None:
    """Erase declined and unconfirmed guest requests older than GUEST_RETENTION_DAYS, trim accepted ones."""
    gone = privacy.erase_expired_guest_data(utcnow())
    click.echo(f"Erased or trimmed {gone} guest record{'s' if gone != 1 else ''}.")


@notify_cli.command("digest")
def digest_command() -> None:
    """Mail each daily-digest owner their new pending requests (run once a day, e.g. from cron)."""
    sent = services.send_digests(utcnow())
    click.echo(f"Sent {sent} digest{'s' if sent != 1 else ''}.")
