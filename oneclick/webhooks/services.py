"""Webhook endpoints and their deliveries.

Recording: ``emit(session, owner_id, event, data)`` is called by the service that makes a change, in its
transaction: one ``webhook_deliveries`` row per active endpoint of the owner subscribed to the event. The
caller's commit makes them durable with the change, a rollback drops both. After the commit a session hook
enqueues one ``tasks.deliver_webhook`` per row; a lost enqueue is found by the sweeper (every minute).

Delivery (``deliver``) is at-least-once; the ``webhook-id`` header (``message_id``, the same on every attempt and
on a redelivery) is the receiver's idempotency key:

1. Claim: a conditional UPDATE moves the row from "pending" (or from a "sending" whose claim ran out) to
   "sending"; only one consumer's UPDATE matches, so two consumers never deliver one row at once.
2. Check the URL, resolve its host and check every address (``net``), sign the body (``standardwebhooks``) and
   POST it to the checked address; no redirect is followed; at most WEBHOOK_RESPONSE_MAX bytes of the answer kept.
3. Record: "delivered" (a 2xx); else "pending" again after an exponential back-off, "failed" after
   WEBHOOK_MAX_ATTEMPTS. An endpoint failing for WEBHOOK_DISABLE_AFTER_SECONDS without a success in between is
   disabled, and its owner told by mail (queued in the same transaction).
"""

from __future__ import annotations

import http.client
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from standardwebhooks import Webhook

from .. import emails, enqueue, limits
from ..clock import utcnow
from ..extensions import db
from ..models import InviteLink, User, WebhookDelivery, WebhookEndpoint
from . import crypto, net, rules

log = logging.getLogger(__name__)

E, D = WebhookEndpoint, WebhookDelivery
USER_AGENT = "oneclick-webhooks/1"


class EndpointLimitReached(Exception):
    """The member has WEBHOOK_ENDPOINTS_MAX_PER_USER endpoints already."""


class BadEndpoint(ValueError):
    """A URL or event list that can't be used; ``field`` and ``reason`` (a rules.MESSAGES key) say why."""

    def __init__(self, field: str, reason: str):
        super().__init__(rules.MESSAGES[reason])
        self.field, self.reason = field, reason


# --- Recording events (called by other features' services, inside their transaction) -------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _body(kind: str, data: dict, now: datetime) -> str:
    """The JSON body as Standard Webhooks describes it: type, timestamp and data; the exact text that is signed."""
    return json.dumps({"type": kind, "timestamp": _iso(now), "data": data}, separators=(",", ":"), sort_keys=True)


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _add(session, endpoint_ids: list[int], kind: str, data: dict, now: datetime) -> list[WebhookDelivery]:
    body = _body(kind, data, now)
    rows = [D(endpoint_id=eid, message_id=_message_id(), event=kind, payload=body, status="pending", attempts=0,
              next_attempt_at=now, created_at=now) for eid in endpoint_ids]
    session.add_all(rows)
    session.flush()
    _deliver_after_commit([r.id for r in rows], session)
    return rows


def emit(session, owner_id: int, kind: str, data: dict, now: datetime | None = None) -> int:
    """Record ``kind`` for every active endpoint of ``owner_id`` that wants it, in the caller's transaction (the
    caller commits); return how many deliveries were added. One indexed SELECT when the owner has no endpoint."""
    if kind not in rules.EVENTS:
        raise ValueError(f"unknown webhook event {kind!r}")
    found = session.execute(select(E.id, E.events).where(E.owner_id == owner_id, E.active.is_(True))).all()
    wanted = [eid for eid, events in found if kind in events.split(",")]
    if wanted:
        _add(session, wanted, kind, data, now or utcnow())
    return len(wanted)


def request_data(request_id: int, link_id: int | None, name: str, email: str) -> dict:
    """The ``data`` of request.created and request.accepted (the API's GET /requests/{id} has the rest)."""
    return {"request": {"id": request_id, "link_id": link_id, "name": name, "email": email}}


def link_paused(session, owner_id: int, link_id: int) -> int:
    """Emit ``link.paused`` when the owner's link is running (call before the UPDATE that pauses it)."""
    label = session.scalar(select(InviteLink.label).where(InviteLink.id == link_id, InviteLink.owner_id == owner_id,
                                                           InviteLink.active.is_(True)))
    if label is None:
        return 0
    return emit(session, owner_id, "link.paused", {"link": {"id": link_id, "label": label}})


# --- Endpoints (the settings page and the API) ------------------------------------------------------------------


def _config():
    return current_app.config


def check_destination(url: str) -> rules.Target:
    """Check a URL's form and every address its host resolves to now; raise BadEndpoint("url", reason)."""
    config = _config()
    decision, target = rules.check_url(url, allow_http=bool(config["WEBHOOK_ALLOW_HTTP"]),
                                       max_length=limits.WEBHOOK_URL_MAX)
    if not decision.allowed:
        raise BadEndpoint("url", decision.reason)
    try:
        net.resolve(target.host, target.port, allow_loopback=bool(config["WEBHOOK_ALLOW_PRIVATE"]))
    except net.Blocked as exc:
        raise BadEndpoint("url", exc.reason) from exc
    return target


def _events(events) -> str:
    chosen = [e for e in rules.EVENTS if e in set(events or ())]
    decision = rules.check_events(list(events or ()))
    if not decision.allowed:
        raise BadEndpoint("events", decision.reason)
    return ",".join(chosen)


def endpoints(owner: User) -> list[WebhookEndpoint]:
    rows = list(db.session.scalars(select(E).where(E.owner_id == owner.id).order_by(E.id)))
    db.session.commit()
    return rows


def get_endpoint(owner: User, endpoint_id: int) -> WebhookEndpoint | None:
    row = db.session.scalar(select(E).where(E.id == endpoint_id, E.owner_id == owner.id))
    db.session.commit()
    return row


@dataclass(frozen=True, slots=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def create_endpoint(owner: User, url: str, events, now: datetime) -> Created:
    """Register an endpoint; return it with its new secret (shown once). Raises BadEndpoint, EndpointLimitReached."""
    url = (url or "").strip()
    chosen = _events(events)
    check_destination(url)
    db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())  # one count at a time
    count = db.session.scalar(select(func.count()).select_from(E).where(E.owner_id == owner.id))
    if count >= int(_config()["WEBHOOK_ENDPOINTS_MAX_PER_USER"]):
        db.session.rollback()
        raise EndpointLimitReached()
    secret = crypto.new_secret()
    endpoint = E(owner_id=owner.id, url=url, events=chosen, secret=crypto.encrypt(secret), active=True,
                 created_at=now)
    db.session.add(endpoint)
    db.session.commit()
    return Created(endpoint, secret)


def update_endpoint(owner: User, endpoint_id: int, now: datetime, url: str | None = None, events=None,
                    active: bool | None = None) -> WebhookEndpoint | None:
    """Change an endpoint's URL, events or state; enabling it starts its failure window afresh. None: not theirs."""
    endpoint = db.session.scalar(select(E).where(E.id == endpoint_id, E.owner_id == owner.id))
    if endpoint is None:
        db.session.rollback()
        return None
    if events is not None:
        endpoint.events = _events(events)
    if url is not None and url.strip() != endpoint.url:
        check_destination(url.strip())
        endpoint.url = url.strip()
    if active is True and not endpoint.active:
        endpoint.active, endpoint.disabled_at, endpoint.failing_since = True, None, None
    elif active is False and endpoint.active:
        endpoint.active, endpoint.disabled_at = False, now
    db.session.commit()
    return endpoint


def delete_endpoint(owner: User, endpoint_id: int) -> bool:
    endpoint = db.session.scalar(select(E).where(E.id == endpoint_id, E.owner_id == owner.id))
    if endpoint is None:
        db.session.rollback()
        return False
    db.session.delete(endpoint)
    db.session.commit()
    return True


def rotate_secret(owner: User, endpoint_id: int) -> str | None:
    """Give the endpoint a new secret (the old one stops signing at once); return it, shown once."""
    secret = crypto.new_secret()
    done = db.session.execute(
        update(E).where(E.id == endpoint_id, E.owner_id == owner.id).values(secret=crypto.encrypt(secret))
    ).rowcount
    db.session.commit()
    return secret if done == 1 else None


class EndpointDisabled(Exception):
    """A test event or a redelivery to a disabled endpoint: enable it first."""


class DeliveryBusy(Exception):
    """The delivery is being sent right now."""


def send_test(owner: User, endpoint_id: int, now: datetime) -> WebhookDelivery | None:
    """Queue a ``webhook.test`` event to one of the owner's endpoints; None when it isn't theirs."""
    endpoint = db.session.scalar(select(E).where(E.id == endpoint_id, E.owner_id == owner.id))
    if endpoint is None:
        db.session.rollback()
        return None
    if not endpoint.active:
        db.session.rollback()
        raise EndpointDisabled()
    data = {"endpoint_id": endpoint.id, "message": "A test event from oneclick: your endpoint receives webhooks."}
    [row] = _add(db.session, [endpoint.id], rules.TEST_EVENT, data, now)
    db.session.commit()
    return row


def deliveries(owner: User, endpoint_id: int, limit: int = 50) -> list[WebhookDelivery] | None:
    """The endpoint's newest deliveries (None when it isn't theirs)."""
    if get_endpoint(owner, endpoint_id) is None:
        return None
    rows = list(db.session.scalars(select(D).where(D.endpoint_id == endpoint_id).order_by(D.id.desc()).limit(limit)))
    db.session.commit()
    return rows


def redeliver(owner: User, endpoint_id: int, delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Send a delivery again (same webhook-id, fresh attempts); None when it isn't theirs."""
    row = db.session.scalar(
        select(D).join(E, E.id == D.endpoint_id)
        .where(D.id == delivery_id, D.endpoint_id == endpoint_id, E.owner_id == owner.id)
    )
    if row is None:
        db.session.rollback()
        return None
    if not db.session.get(E, endpoint_id).active:
        db.session.rollback()
        raise EndpointDisabled()
    done = db.session.execute(
        update(D).where(D.id == delivery_id, D.status != "sending")
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.rollback()
        raise DeliveryBusy()
    _deliver_after_commit([delivery_id])
    db.session.commit()
    db.session.refresh(row)
    return row


# --- Delivery (queue tasks) -------------------------------------------------------------------------------------


def _claimable(now: datetime):
    return or_(
        and_(D.status == "pending", or_(D.attempts == 0, D.next_attempt_at <= now)),
        and_(D.status == "sending", D.next_attempt_at <= now),
    )


def _short(text: str) -> str:
    return " ".join(text.split())[: limits.WEBHOOK_ERROR_MAX]


def deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Claim, send and record one delivery; return "delivered", "retry", "failed" or "skipped" (not found, done,
    claimed by another consumer, or not due). Runs in a session of its own (it may run right after a commit)."""
    with current_app.app_context():
        try:
            return _deliver(delivery_id, now or utcnow())
        finally:
            db.session.remove()


def _deliver(delivery_id: int, now: datetime) -> str:
    config = _config()
    claimed = db.session.execute(
        update(D).where(D.id == delivery_id, _claimable(now))
        .values(status="sending", attempts=D.attempts + 1, last_attempt_at=now,
                next_attempt_at=now + timedelta(seconds=int(config["WEBHOOK_CLAIM_SECONDS"])))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return "skipped"
    row = db.session.execute(
        select(D.id, D.message_id, D.payload, D.attempts, D.endpoint_id, E.url, E.secret, E.active)
        .join(E, E.id == D.endpoint_id).where(D.id == delivery_id)
    ).one()
    db.session.commit()  # no transaction stays open across the network call
    if not row.active:
        return _record(row, now, None, "The endpoint is disabled.", final=True)
    secret = crypto.decrypt(row.secret)
    if secret is None:
        return _record(row, now, None, "The signing secret can't be read (SECRET_KEY changed): rotate it.",
                       final=True)
    decision, target = rules.check_url(row.url, allow_http=bool(config["WEBHOOK_ALLOW_HTTP"]),
                                       max_length=limits.WEBHOOK_URL_MAX)
    if not decision.allowed:
        return _record(row, now, None, rules.MESSAGES[decision.reason], final=True)
    signed_at = utcnow()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": row.message_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(row.message_id, signed_at, row.payload),
    }
    try:
        answer = net.post(target, row.payload.encode(), headers, timeout=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
                          allow_loopback=bool(config["WEBHOOK_ALLOW_PRIVATE"]),
                          max_body=limits.WEBHOOK_RESPONSE_MAX)
    except net.Blocked as exc:
        return _record(row, now, None, f"Refused destination: {exc}")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return _record(row, now, None, f"{type(exc).__name__}: {exc}")
    if 200 <= answer.status < 300:
        db.session.execute(update(D).where(D.id == row.id, D.status == "sending")
                           .values(status="delivered", response_code=answer.status, response_body=answer.body,
                                   last_error=None).execution_options(synchronize_session=False))
        db.session.execute(update(E).where(E.id == row.endpoint_id).values(failing_since=None)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        return "delivered"
    return _record(row, now, answer, f"HTTP {answer.status}")


def _record(row, now: datetime, answer: net.Answer | None, error: str, final: bool = False) -> str:
    """Record a failed attempt: retry after the back-off, or failed for good; disable a long-failing endpoint."""
    config = _config()
    final = final or row.attempts >= int(config["WEBHOOK_MAX_ATTEMPTS"])
    wait = rules.backoff(row.attempts, int(config["WEBHOOK_RETRY_BASE_SECONDS"]),
                         int(config["WEBHOOK_RETRY_MAX_SECONDS"]))
    db.session.execute(
        update(D).where(D.id == row.id, D.status == "sending")
        .values(status="failed" if final else "pending", next_attempt_at=now + timedelta(seconds=wait),
                response_code=answer.status if answer else None, response_body=answer.body if answer else None,
                last_error=_short(error))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(update(E).where(E.id == row.endpoint_id, E.failing_since.is_(None)).values(failing_since=now)
                       .execution_options(synchronize_session=False))
    endpoint = db.session.get(E, row.endpoint_id)
    if endpoint is not None and endpoint.active and rules.should_disable(
            endpoint.failing_since, now, int(config["WEBHOOK_DISABLE_AFTER_SECONDS"])):
        _disable(endpoint, now)
    db.session.commit()
    if final:
        log.warning("webhook delivery %s failed for good after %s attempts: %s", row.id, row.attempts, error)
        return "failed"
    log.info("webhook delivery %s failed (attempt %s), retrying in %ss: %s", row.id, row.attempts, wait, error)
    _schedule(row.id, wait)
    return "retry"


def _disable(endpoint: WebhookEndpoint, now: datetime) -> None:
    """Disable a long-failing endpoint (once: a conditional UPDATE) and queue the mail telling its owner."""
    done = db.session.execute(
        update(E).where(E.id == endpoint.id, E.active.is_(True)).values(active=False, disabled_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done == 1:
        owner = db.session.get(User, endpoint.owner_id)
        emails.send_webhook_disabled(owner.email, owner.name, endpoint.url, endpoint.id, endpoint.failing_since)


def _schedule(delivery_id: int, wait: int) -> None:
    from ..tasks import deliver_webhook

    enqueue.later(deliver_webhook, delivery_id, wait, "webhook delivery")


def due_ids(now: datetime, limit: int = 500) -> list[int]:
    with db.engine.connect() as conn:
        return list(conn.scalars(
            select(D.id).where(D.status.in_(("pending", "sending")), D.next_attempt_at <= now)
            .order_by(D.next_attempt_at, D.id).limit(limit)
        ))


def sweep(now: datetime) -> int:
    """Enqueue every delivery that is due (a lost enqueue, a retry, a claim whose consumer died)."""
    from ..tasks import deliver_webhook

    ids = due_ids(now)
    enqueue.now(deliver_webhook, ids, "webhook delivery")
    return len(ids)


def _deliver_after_commit(ids: list[int], session=None) -> None:
    from ..tasks import deliver_webhook

    enqueue.after_commit(deliver_webhook, ids, "webhook delivery", session)
