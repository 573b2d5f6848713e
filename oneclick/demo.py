"""``flask --app oneclick demo``: fill an EMPTY database with a few members and their activity, so every page has
something to show. Everything goes through the features' services, so the data is what real use would leave.
"""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from .auth import services as accounts
from .clock import utcnow
from .extensions import db
from .inbox import services as inbox
from .invitations import services as invitations
from .links import services as links
from .models import GuestConfirmation, User

#: (email, name, admin) of the demo members; the first one owns most of the data and is the one to sign in as.
MEMBERS = (
    ("ada@example.com", "Ada Lovelace", False),
    ("grace@example.com", "Grace Hopper", True),
    ("linus@example.com", "Linus Torvalds", False),
    ("margaret@example.com", "Margaret Hamilton", False),
)


def _member_count() -> int:
    try:
        return db.session.scalar(select(func.count()).select_from(User))
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise click.ClickException(
            "The database has no schema yet: run `flask --app oneclick db upgrade` first."
        ) from exc


def _guest_request(token: str, name: str, email: str, note: str, now) -> int | None:
    """Send a guest's request and confirm it as the guest would by clicking the mailed link."""
    inbox.start_guest_request(token, name, email, note, now)
    public_id = db.session.scalar(
        select(GuestConfirmation.public_id).where(GuestConfirmation.email == email,
                                                  GuestConfirmation.confirmed_at.is_(None))
    )
    confirmed = inbox.confirm_guest_request(public_id, now) if public_id else None
    return confirmed.request.request_id if confirmed and confirmed.request else None


def fill(password: str) -> dict[str, User]:
    """Create the demo members and their links, requests, connections and invitations; return the members."""
    now = utcnow()
    people = {email.split("@")[0]: accounts.create_user(email, name, password, admin=admin)
              for email, name, admin in MEMBERS}
    ada, grace, linus, margaret = people["ada"], people["grace"], people["linus"], people["margaret"]

    talk = links.create_link(ada, links.LinkFields(label="Talk at PyCon", channel="other",
                                                   message="Thanks for coming to the talk!"))
    links.create_link(ada, links.LinkFields(label="Newsletter", channel="other", max_requests=50))
    links.create_link(grace, links.LinkFields(label="Office hours"))
    token = links.link_token(talk)

    # Requests to Ada: members and guests, some still pending, some accepted (which connects them).
    inbox.send_request(token, linus, linus.name, linus.email, "Fortran study group?", now)
    accepted = inbox.send_request(token, margaret, margaret.name, margaret.email, "Loved the demo", now)
    _guest_request(token, "Barbara Liskov", "barbara@example.org", "Met you at the coffee break", now)
    guest = _guest_request(token, "Ken Thompson", "ken@example.org", "Let's keep in touch", now)
    for request_id in (accepted.request_id, guest):
        if request_id is not None:
            inbox.decide_request(ada, request_id, "accept", now)

    # Invitations: Ada sends two (one to a member, one to an address), receives two and accepts one.
    invitations.send_invitation(ada, now, member=grace, how_known="colleague", message="Good to meet you")
    invitations.send_invitation(ada, now, email="dennis@example.org", name="Dennis Ritchie", how_known="friend")
    invitations.send_invitation(linus, now, member=ada, how_known="business", message="About the kernel talk")
    sent = invitations.send_invitation(grace, now, member=ada, how_known="colleague")
    if sent.invitation is not None:
        invitations.respond(ada, sent.invitation.public_id, "accept", now)
    return people


@click.command("demo")
@click.option("--password", default=None, help="Password of every demo account (default: a random one, printed once).")
@with_appcontext
def demo_command(password: str | None) -> None:
    """Fill an EMPTY database with demo members, links, requests, connections and invitations."""
    count = _member_count()
    if count:
        raise click.ClickException(
            f"The database already holds {count} account(s); `demo` fills an empty database only. "
            "Point it at a fresh one (e.g. ONECLICK_SQLALCHEMY_DATABASE_URI=sqlite:////tmp/demo.sqlite3, "
            "then `flask --app oneclick db upgrade`)."
        )
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if password is not None and len(password) < minimum:
        raise click.BadParameter(f"use at least {minimum} characters", param_hint="--password")
    password = password or secrets.token_urlsafe(12)
    fill(password)
    click.echo(f"Demo data created. Sign in at {current_app.config['PUBLIC_URL']}/login as:")
    for email, _name, admin in MEMBERS:
        note = " (support admin)" if admin else ""
        if email == MEMBERS[0][0]:
            note = " (owns the links, requests, connections and invitations)"
        click.echo(f"  {email}{note}")
    click.echo(f"Password of every demo account (shown only now): {password}")
