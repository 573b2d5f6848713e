"""Contact cards: a member's card and photo, the fields each link shares, and what each connection reveals.

Nothing of a card is shown before a request is accepted. On acceptance (``connection_shares``, called by the
inbox in the accepting transaction) each side's connection row records what the other side shares with it: the
link's chosen fields for the requester's row, the requester's chosen fields (a member) or typed details (a
guest) for the owner's row. Those choices live on the connection rows only, so removing a connection (both rows
at once) stops the sharing both ways. A member's shared fields are read from their card when shown, so an edit
shows everywhere; a guest's details are the ones they typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select, update

from ..clock import utcnow
from ..extensions import db
from ..models import Connection, ContactCard, InviteLink, User
from ..urls import external_url
from . import fields, photos

CARD_COLUMNS = ("organisation", "work_email", "personal_email", "phone", "website", "linkedin", "mastodon",
                "github", "x")


def get_card(user: User) -> ContactCard:
    """Return the member's card (an unsaved empty one when they never saved it)."""
    card = db.session.get(ContactCard, user.id)
    return card if card is not None else ContactCard(user_id=user.id, **{c: "" for c in CARD_COLUMNS})


def save_card(user: User, values: dict[str, str]) -> None:
    """Store the member's card fields (validated by the form); the photo is kept."""
    card = db.session.get(ContactCard, user.id)
    if card is None:
        card = ContactCard(user_id=user.id)
        db.session.add(card)
    for column in CARD_COLUMNS:
        setattr(card, column, (values.get(column) or "").strip())
    card.updated_at = utcnow()
    db.session.commit()


def set_photo(user: User, upload: bytes, max_pixels: int) -> None:
    """Check, crop and re-encode an upload (``photos.process``: PhotoError when refused) and store it."""
    jpeg = photos.process(upload, max_pixels)
    card = db.session.get(ContactCard, user.id)
    if card is None:
        card = ContactCard(user_id=user.id, **{c: "" for c in CARD_COLUMNS})
        db.session.add(card)
    card.photo, card.updated_at = jpeg, utcnow()
    db.session.execute(update(User).where(User.id == user.id).values(photo_etag=photos.etag(jpeg)))
    db.session.commit()


def delete_photo(user: User) -> None:
    """Remove the member's photo: the landing page shows their initial again."""
    card = db.session.get(ContactCard, user.id)
    if card is not None:
        card.photo = None
    db.session.execute(update(User).where(User.id == user.id).values(photo_etag=None))
    db.session.commit()


def photo(public_id: str, etag: str) -> bytes | None:
    """Return the JPEG of the member with this public id when ``etag`` is its current version, else None."""
    row = db.session.execute(
        select(ContactCard.photo)
        .join(User, User.id == ContactCard.user_id)
        .where(User.public_id == public_id, User.photo_etag == etag)
    ).first()
    db.session.commit()
    return row.photo if row is not None else None


def photo_url(public_id: str, etag: str | None) -> str | None:
    """Return the absolute URL of a member's photo (None without one)."""
    return external_url("contacts.photo", public_id=public_id, etag=etag) if etag else None


# --- What a card shares -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shared:
    """Shared card fields in card order: ``items`` are (key, label, value); ``values`` feeds a vCard."""

    items: tuple[tuple[str, str, str], ...]

    @property
    def values(self) -> dict[str, str]:
        return {key: value for key, _, value in self.items}

    def lines(self) -> tuple[tuple[str, str], ...]:
        """(label, value) pairs for a mail (the photo left out)."""
        return tuple((label, value) for key, label, value in self.items if key != "photo")


def member_values(user: User, card: ContactCard | None = None) -> dict[str, str]:
    """Return every field of a member's card by key (empty ones included)."""
    card = card if card is not None else get_card(user)
    values = {"name": user.name, "headline": user.headline or "", "email": user.email}
    values.update({column: getattr(card, column) or "" for column in CARD_COLUMNS})
    values["photo"] = photo_url(user.public_id, user.photo_etag) or ""
    return values


def _shared(values: dict[str, str], keys) -> Shared:
    wanted = set(keys) | {"name"}
    return Shared(tuple((k, fields.LABELS[k], values[k]) for k in fields.KEYS if k in wanted and values.get(k)))


def member_shared(user: User, keys) -> Shared:
    """Return the fields ``keys`` of a member's card that are filled in."""
    return _shared(member_values(user), keys)


def filled_keys(user: User) -> tuple[str, ...]:
    """Return the choosable keys the member's card has a value for (what the request box offers to share)."""
    values = member_values(user)
    return tuple(k for k in fields.CHOOSABLE if values.get(k))


def guest_card(organisation: str | None, phone: str | None) -> dict[str, str] | None:
    """Return what a guest typed to share on acceptance, or None when nothing."""
    card = {k: v.strip() for k, v in (("organisation", organisation or ""), ("phone", phone or "")) if v.strip()}
    return card or None


def link_card_fields(link_id: int | None) -> str:
    """Return the card fields the link shares with people who connect through it ("" for no link)."""
    if link_id is None:
        return ""
    return db.session.scalar(select(InviteLink.card_fields).where(InviteLink.id == link_id)) or ""


def connection_shares(link_id: int | None, requester_id: int | None, share_fields: str,
                      shared_card: dict | None) -> tuple[dict, dict]:
    """Return the card values of the owner's and the requester's connection rows for an accepted request."""
    if requester_id is not None:
        owner_side = {"card_fields": fields.join(fields.parse(share_fields)), "card": None}
    else:
        card = {k: str(v) for k, v in (shared_card or {}).items() if k in fields.GUEST_KEYS and v}
        owner_side = {"card_fields": fields.join(card), "card": card or None}
    return owner_side, {"card_fields": link_card_fields(link_id), "card": None}


def owner_shared_for_request(owner: User, link_id: int | None) -> Shared:
    """Return what the owner's link shares with a requester on acceptance (for the acceptance mail)."""
    return member_shared(owner, fields.parse(link_card_fields(link_id)))


# --- Connections --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionCard:
    """One connection as its page shows it: who, where from, and what they share with the viewer."""

    id: int
    name: str
    email: str
    is_member: bool
    source: str
    link_label: str | None
    created_at: object
    shared: Shared


def _row_shared(row: Connection) -> Shared:
    keys = fields.parse(row.card_fields)
    if row.member_id is not None:
        other = db.session.get(User, row.member_id)
        if other is None:  # pragma: no cover - the row goes with the account (ON DELETE CASCADE)
            return Shared(())
        values = member_values(other)
        values["name"] = other.name
    else:
        # A guest's confirmed address (the connections list shows it too) and what they typed.
        values = {"name": row.name, "email": row.email,
                  **{k: str(v) for k, v in (row.card or {}).items() if k in fields.GUEST_KEYS}}
        keys = (*keys, "email")
    return _shared(values, keys)


def connection_card(viewer: User, connection_id: int) -> ConnectionCard | None:
    """Return the viewer's connection with this id and what the other side shares, or None (someone else's)."""
    row = db.session.scalar(select(Connection).where(Connection.id == connection_id, Connection.owner_id == viewer.id))
    if row is None:
        db.session.rollback()
        return None
    label = db.session.scalar(select(InviteLink.label).where(InviteLink.id == row.link_id)) if row.link_id else None
    result = ConnectionCard(row.id, row.name, row.email, row.member_id is not None, row.source, label,
                            row.created_at, _row_shared(row))
    db.session.commit()
    return result


def shared_by_connection(viewer: User, connection_ids: list[int]) -> dict[int, dict[str, str]]:
    """Return, for the viewer's connections among ``connection_ids``, the shared fields by key (for the API)."""
    if not connection_ids:
        return {}
    rows = db.session.scalars(
        select(Connection).where(Connection.owner_id == viewer.id, Connection.id.in_(connection_ids))
    ).all()
    return {row.id: _row_shared(row).values for row in rows}


def all_connection_cards(viewer: User) -> Iterator[dict[str, str]]:
    """Yield the shared card values of each of the viewer's connections, newest first (the all-in-one .vcf)."""
    ids = list(db.session.scalars(
        select(Connection.id).where(Connection.owner_id == viewer.id)
        .order_by(Connection.created_at.desc(), Connection.id.desc())
    ))
    for start in range(0, len(ids), 200):
        rows = db.session.scalars(select(Connection).where(Connection.id.in_(ids[start:start + 200]))).all()
        by_id = {row.id: row for row in rows}
        for connection_id in ids[start:start + 200]:
            row = by_id.get(connection_id)
            if row is not None:
                values = _row_shared(row).values
                values.setdefault("name", row.name)
                yield values
    db.session.commit()


def public_card(link) -> Shared:
    """Return what a link's "Save contact" offers anyone (``link.public_fields`` of the owner's card)."""
    keys = fields.parse(link.public_fields)
    owner = db.session.get(User, link.owner_id)
    result = member_shared(owner, keys)
    db.session.commit()
    return result
