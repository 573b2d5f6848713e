"""Operator commands for webhooks: ``flask --app oneclick webhooks list EMAIL | deliver``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..clock import utcnow
from ..extensions import db
from ..models import User
from . import services

webhooks_cli = AppGroup("webhooks", help="Inspect and deliver webhooks.")


@webhooks_cli.command("list")
@click.argument("email")
def list_command(email: str) -> None:
    """List a member's webhook endpoints (id, state, events, URL)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account with the address {email}.")
    for e in services.endpoints(user):
        click.echo(f"{e.id}\t{'active' if e.active else 'disabled'}\t{e.events}\t{e.url}")


@webhooks_cli.command("deliver")
def deliver_command() -> None:
    """Deliver every webhook that is due now, in this process (the queue's consumers normally do it)."""
    counts: dict[str, int] = {}
    for delivery_id in services.due_ids(utcnow()):
        outcome = services.deliver(delivery_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "Nothing was due.")
