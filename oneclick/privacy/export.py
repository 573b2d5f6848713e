"""A member's data, all of it, in one zip archive: JSON files and vCards.

What is left out is what would let someone act as the member or read what isn't theirs: the password hash,
the session token, API token hashes, webhook signing secrets (encrypted at rest) and mail bodies.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import date, datetime

from sqlalchemy import or_, select

from ..contacts import services as contacts
from ..contacts import vcard
from ..extensions import db
from ..models import (
    ApiToken,
    AuditLog,
    Block,
    Connection,
    ConnectionRequest,
    ContactCard,
    Invitation,
    InviteLink,
    LinkDailyStat,
    LinkSourceStat,
    Notification,
    SupportTicket,
    User,
    WebhookEndpoint,
)

#: Columns never exported (they let someone act as the member, or are shown elsewhere).
SECRET_COLUMNS = {"password_hash", "session_token", "token_hash", "secret", "photo", "challenge", "answer_hash"}

README = """This archive holds everything oneclick stores about your account, as JSON (UTF-8, times in UTC):

profile.json        your account: name, email, handle, settings and dates
card.json           your contact card (card-photo.* is its photo, when you added one)
links.json          your links, each with its daily clicks and where the clicks came from
requests.json       requests people sent you ("received") and requests you sent ("sent")
connections.json    your connections, with what each of them shares with you
invitations.json    invitations you sent and received
blocks.json         addresses you blocked
notifications.json  your notifications
api_tokens.json     your API tokens (names and dates; the tokens themselves are never stored)
webhooks.json       your webhook endpoints (without their signing secrets)
support.json        your support requests
audit.json          administrators' entries about your account, or made by you as an administrator
my-card.vcf         your own card, connections.vcf your connections' cards (vCard 4.0)
"""


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _row(obj) -> dict:
    """Return a row's columns (without secrets) as JSON-ready values."""
    return {c.key: _value(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in SECRET_COLUMNS}


def _rows(stmt) -> list[dict]:
    return [_row(obj) for obj in db.session.scalars(stmt)]


def member_data(user: User) -> dict[str, object]:
    """Return the member's data as ``{file name: JSON-ready value}``."""
    uid = user.id
    links = []
    for link in db.session.scalars(select(InviteLink).where(InviteLink.owner_id == uid).order_by(InviteLink.id)):
        item = _row(link)
        item["daily_clicks"] = _rows(select(LinkDailyStat).where(LinkDailyStat.link_id == link.id)
                                     .order_by(LinkDailyStat.day))
        item["click_sources"] = _rows(select(LinkSourceStat).where(LinkSourceStat.link_id == link.id)
                                      .order_by(LinkSourceStat.day, LinkSourceStat.kind, LinkSourceStat.value))
        links.append(item)
    cr = ConnectionRequest
    data: dict[str, object] = {
        "profile.json": _row(db.session.get(User, uid)),
        "links.json": links,
        "requests.json": {
            "received": _rows(select(cr).where(cr.owner_id == uid).order_by(cr.created_at, cr.id)),
            "sent": _rows(select(cr).where(cr.requester_id == uid).order_by(cr.created_at, cr.id)),
        },
        "connections.json": _rows(select(Connection).where(Connection.owner_id == uid).order_by(Connection.id)),
        "invitations.json": {
            "sent": _rows(select(Invitation).where(Invitation.sender_id == uid).order_by(Invitation.id)),
            "received": _rows(select(Invitation).where(Invitation.recipient_id == uid).order_by(Invitation.id)),
        },
        "blocks.json": _rows(select(Block).where(Block.owner_id == uid).order_by(Block.id)),
        "notifications.json": _rows(select(Notification).where(Notification.user_id == uid)
                                    .order_by(Notification.id)),
        "api_tokens.json": _rows(select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id)),
        "support.json": _rows(select(SupportTicket).where(SupportTicket.user_id == uid).order_by(SupportTicket.id)),
        "audit.json": _rows(select(AuditLog).where(or_(AuditLog.actor_id == uid, AuditLog.target_id == uid))
                            .order_by(AuditLog.at, AuditLog.id)),
    }
    data["webhooks.json"] = _rows(select(WebhookEndpoint).where(WebhookEndpoint.owner_id == uid)
                                  .order_by(WebhookEndpoint.id))
    row = db.session.get(ContactCard, uid)
    data["card.json"] = _row(row) if row is not None else None
    return data


def _photo(user: User) -> bytes | None:
    row = db.session.get(ContactCard, user.id)
    return row.photo if row is not None else None


def _vcards(user: User) -> dict[str, str]:
    """Return the member's own card and their connections' cards as vCard 4.0."""
    files = {"my-card.vcf": vcard.serialize([contacts.member_values(user)])}
    cards = list(contacts.all_connection_cards(user))
    if cards:
        files["connections.vcf"] = vcard.serialize(cards)
    return files


def member_archive(user: User, now: datetime) -> bytes:
    """Return the zip archive of everything stored about the member (``now`` dates the archive's entries)."""
    stamp = now.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(name: str, content: str | bytes) -> None:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content, compress_type=zipfile.ZIP_DEFLATED)

        add("README.txt", README)
        for name, value in member_data(user).items():
            add(name, json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        photo = _photo(user)
        if photo:
            add("card-photo.jpg", photo)
        for name, text in _vcards(user).items():
            add(name, text)
    db.session.commit()
    return buffer.getvalue()
