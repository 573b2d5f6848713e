"""Operator commands for API tokens: ``flask --app oneclick tokens create|list|revoke``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..auth.cli import existing_account
from ..clock import utcnow
from . import services

tokens = AppGroup("tokens", help="Manage members' API tokens.")


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="What the token is for.")
def create_command(email: str, name: str) -> None:
    """Create an API token for a member; the raw token is printed alone on the last line."""
    user = existing_account(email)
    try:
        created = services.create_token(user, name, utcnow())
    except services.TokenLimitReached as exc:
        raise click.ClickException(f"{user.email} already holds the most tokens allowed; revoke one first.") from exc
    click.echo(f"Created token {created.token.id} \"{created.token.name}\" for {user.email}. It is shown only once:")
    click.echo(created.raw)


@tokens.command("list")
@click.argument("email")
def list_command(email: str) -> None:
    """List a member's active API tokens."""
    user = existing_account(email)
    rows = services.active_tokens(user)
    if not rows:
        click.echo(f"{user.email} has no active tokens.")
    for token in rows:
        used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
        click.echo(f"{token.id}\t{token.prefix}…\t{token.name}\tcreated {token.created_at:%Y-%m-%d}\tlast used {used}")


@tokens.command("revoke")
@click.argument("email")
@click.argument("token_id", type=int)
def revoke_command(email: str, token_id: int) -> None:
    """Revoke a member's API token by its id (see ``tokens list``)."""
    user = existing_account(email)
    if not services.revoke_token(user, token_id, utcnow()):
        raise click.ClickException(f"{user.email} has no active token {token_id}.")
    click.echo(f"Revoked token {token_id} of {user.email}.")
