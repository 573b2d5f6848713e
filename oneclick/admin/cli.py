"""The support console's actions on the command line: ``flask --app oneclick support grant|lift|label|unlabel|show``.

``actor`` is None in every service call: the audit log names it "command line".
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..auth.cli import existing_account
from ..clock import utcnow
from ..invitations.services import explain
from . import services

support = AppGroup("support", help="Support actions on members' invitations.")


def _cli_result(decision, success: str) -> None:
    if not decision.allowed:
        raise click.ClickException(f"Refused: {explain(decision)} ({decision.reason})")
    click.echo(success)


@support.command("show")
@click.argument("email")
def show_command(email: str) -> None:
    """Show a member's invitation counters."""
    report = services.member_report(existing_account(email), utcnow())
    s = report.summary
    click.echo(f"{report.member.email}: sent {s.sent} of {s.allotment} ({s.left} left), {s.sent_24h} in 24 h; "
               f"declines since lift {s.declines_since_lift}, total {s.declines_total}; "
               f"restricted {'yes' if s.restricted else 'no'} ({s.restrictions} so far); "
               f"spammer {'yes' if s.spammer else 'no'}; grants {len(report.grants)}")


@support.command("grant")
@click.argument("email")
@click.argument("amount", type=int)
def grant_command(email: str, amount: int) -> None:
    """Grant AMOUNT more invitations to the member with EMAIL."""
    member = existing_account(email)
    _cli_result(services.grant(None, member, amount, utcnow()), f"Granted {amount} invitations to {member.email}.")


@support.command("lift")
@click.argument("email")
def lift_command(email: str) -> None:
    """Lift the invitation restriction of the member with EMAIL."""
    member = existing_account(email)
    _cli_result(services.lift(None, member, utcnow()), f"Lifted the restriction of {member.email}.")


@support.command("label")
@click.argument("email")
def label_command(email: str) -> None:
    """Label the member with EMAIL a spammer."""
    member = existing_account(email)
    _cli_result(services.label(None, member, utcnow()), f"{member.email} is labelled a spammer.")


@support.command("unlabel")
@click.argument("email")
def unlabel_command(email: str) -> None:
    """Remove the spammer label from the member with EMAIL."""
    member = existing_account(email)
    _cli_result(services.unlabel(None, member, utcnow()), f"{member.email} is no longer labelled a spammer.")
