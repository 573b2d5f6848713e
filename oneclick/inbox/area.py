"""The request area of a landing page: what it shows this visitor, and the slots of a cached fresh-guest page.

Used by the landing page (oneclick/landing/views.py, the hot click path) and by this feature's views, which
show the page again after a failed post and remember in the session which owners this browser has asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import tokens
from ..clock import utcnow
from . import services

#: Session key: when this browser sent each owner a guest request (for the landing page; never what became of
#: it), the last GUEST_MEMORY owners.
GUEST_KEY = "oneclick.guest_requests"
GUEST_MEMORY = 20


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


@dataclass(frozen=True, slots=True)
class RequestArea:
    """What ``landing/_request_area.html`` renders: the visitor's state and the form's hidden values.

    ``form`` is the submitted form when the page is shown again after a POST (its values and errors), else
    None: a fresh landing page builds no WTForms object, it is the hot click path.
    """

    state: services.VisitorState
    form: object | None
    action: str
    csrf_token: str = ""
    started: str = ""
    second: str = ""  # the signed "second press" marker after "That was quick!"
    counted: str = ""  # the signed "click counted" marker (tokens.sign_click_counted), when this visit counted one


def _guest_sent_at(owner_public_id: str) -> datetime | None:
    """Return when this browser sent the owner a guest request (from the session), or None."""
    remembered = session.get(GUEST_KEY) or {}
    if owner_public_id not in remembered:
        return None
    try:
        return datetime.fromisoformat(str(remembered[owner_public_id]))
    except ValueError:  # a session from before the double opt-in held a request id
        return utcnow()


def request_area(link, token: str, form=None) -> RequestArea:
    """Return the request area of a landing page for the current visitor (a lookup only when signed in)."""
    now = utcnow()
    viewer = _viewer()
    guest_sent_at = _guest_sent_at(link.owner.public_id) if viewer is None else None
    state = services.visitor_state(link, viewer, guest_sent_at=guest_sent_at)
    if state.kind not in ("member", "guest", "guest_sent"):
        return RequestArea(state=state, form=None, action="")
    counted = tokens.sign_click_counted(link.public_id) if click_counted() else ""
    started = second = ""
    if state.kind != "member":
        kept = form.started.data if form is not None else None
        started = kept if tokens.form_started_age(kept, now) is not None else tokens.sign_form_started(now)
        marker = getattr(getattr(form, "second", None), "data", None)
        second = marker if tokens.is_second_press(marker, started) else ""
    return RequestArea(state=state, form=form, action=url_for("inbox.send", token=token),
                       csrf_token=generate_csrf(), started=started, second=second, counted=counted)


def mark_click_counted() -> None:
    """Note that this request counted the click of its visit: the request form it shows carries the marker."""
    g.oneclick_click_counted = True


def click_counted() -> bool:
    """Return True when this request counted (or carried the marker of) its visit's click."""
    return bool(g.get("oneclick_click_counted"))


#: Stand-ins for the two per-visitor values of a fresh guest form, filled into a cached page body.
CSRF_SLOT = "__oneclick_csrf_slot__"
STARTED_SLOT = "__oneclick_started_slot__"


def is_fresh_guest(link) -> bool:
    """Return True when this visitor sees the same request area as every other fresh guest of this link.

    A fresh guest is anonymous, has sent this owner no request from this browser and has no flash messages
    waiting: their page differs from another fresh guest's only in the CSRF token and the form's start stamp,
    so the landing page may render it once with slots (``guest_area_with_slots``) and fill them per visitor.
    """
    if current_user.is_authenticated or session.get("_flashes"):
        return False
    return link.owner.public_id not in (session.get(GUEST_KEY) or {})


def guest_area_with_slots(token: str, counted: str = "") -> RequestArea:
    """Return a fresh guest's request area with slots in place of its per-visitor values.

    ``counted`` is the link's click-counted marker: the same for every visitor, so it is part of the cached page
    (a visit that counted no click gets the page without it: ``strip_click_marker``).
    """
    return RequestArea(state=services.VisitorState("guest"), form=None, action=url_for("inbox.send", token=token),
                       csrf_token=CSRF_SLOT, started=STARTED_SLOT, counted=counted)


def strip_click_marker(body: str, marker: str) -> str:
    """Take the click-counted marker out of a cached page served to a visit that counted no click."""
    return body.replace(f'value="{marker}"', 'value=""', 1)


def fill_guest_slots(body: str, now) -> str:
    """Put this visitor's CSRF token and start stamp into a page rendered with ``guest_area_with_slots``."""
    return body.replace(CSRF_SLOT, generate_csrf(), 1).replace(STARTED_SLOT, tokens.sign_form_started(now), 1)


def remember_guest_request(owner_public_id: str, now: datetime) -> None:
    """Remember in the session that this browser sent the owner a guest request (the day only: the page shows
    no more)."""
    remembered = dict(session.get(GUEST_KEY) or {})
    remembered.pop(owner_public_id, None)
    remembered[owner_public_id] = now.date().isoformat()
    session[GUEST_KEY] = dict(list(remembered.items())[-GUEST_MEMORY:])
