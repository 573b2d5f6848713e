"""Operator commands for accounts: ``flask --app oneclick users create|promote|purge-unverified``."""

from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from ..admin import services as support
from ..clock import utcnow
from . import services

users = AppGroup("users", help="Manage member accounts.")


def existing_account(email: str):
    """Return the account with EMAIL for a command, or stop it with "No account with ..." (every group uses it)."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with {email}.")
    return user


@users.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--password", required=True, prompt=True, hide_input=True, help="Initial password.")
@click.option("--admin", is_flag=True, help="Make the account a support admin.")
def create_user(email: str, name: str, password: str, admin: bool) -> None:
    """Create an activated account."""
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from exc
    if services.find_user_by_email(email) is not None:
        raise click.ClickException(f"An account with {email} already exists.")
    user = services.create_user(email, name, password, admin=admin)
    click.echo(f"Created {'admin ' if admin else ''}{user.email} (id {user.id}).")


@users.command("promote")
@click.argument("email")
def promote_user(email: str) -> None:
    """Make an existing account a support admin."""
    user = existing_account(email)
    support.promote(None, user, utcnow())
    click.echo(f"{user.email} is now an admin.")


@users.command("purge-unverified")
def purge_unverified() -> None:
    """Delete accounts still unverified ACTIVATION_MAX_AGE after their last activation mail."""
    count = services.purge_unverified(utcnow())
    click.echo(f"Deleted {count} unverified account{'' if count == 1 else 's'}.")
