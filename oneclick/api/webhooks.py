"""API: the member's webhook endpoints, their secrets, test events and delivery logs (thin over
``webhooks.services``)."""

from __future__ import annotations

import json

from flask import current_app
from marshmallow import ValidationError, fields

from .. import limits
from ..clock import utcnow
from ..webhooks import rules, services
from .core import NO_CONTENT, acting_user, bp, iso
from .errors import ApiError, invalid, not_found
from .schemas import Body, Bool, Choice, Out, Str, _bool, _enum, _int, _s, _time, component

TAG = "Webhooks"
NOT_YOURS = "You have no webhook endpoint with this id."


class Events(fields.List):
    """One or more of the events, each at most once."""

    def __init__(self, **kwargs):
        super().__init__(Choice(rules.EVENTS), metadata={
            "description": "The events to receive.", "minItems": 1, "maxItems": len(rules.EVENTS),
            "uniqueItems": True,
        }, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Must be a list of events.")
        events = super()._deserialize(value, attr, data, **kwargs)
        if not events:
            raise ValidationError(rules.MESSAGES["no_events"])
        if len(set(events)) != len(events):
            raise ValidationError("List each event once.")
        return events


class EndpointBody(Body):
    url = Str(min_length=1, max_length=limits.WEBHOOK_URL_MAX, required=True,
              description="An https:// URL on the public internet (loopback, private, link-local and metadata "
                          "addresses are refused).")
    events = Events(required=True)


class EndpointPatchBody(Body):
    url = Str(min_length=1, max_length=limits.WEBHOOK_URL_MAX)
    events = Events()
    active = Bool(description="True enables a disabled endpoint (its failure window starts afresh).")


@component
class WebhookEndpoint(Out):
    id = _int()
    url = _s()
    events = fields.List(_enum(rules.EVENTS))
    active = _bool("False once disabled (by you, or after failing for days).")
    failing_since = _time("The first failed attempt since the last success.", allow_none=True)
    disabled_at = _time(allow_none=True)
    created_at = _time()


@component
class WebhookEndpointWithSecret(WebhookEndpoint):
    secret = _s("The signing secret (whsec_…): shown only in this answer.")


@component
class WebhookSecret(Out):
    secret = _s("The new signing secret (whsec_…): shown only in this answer. The old one stops at once.")


@component
class WebhookEndpointList(Out):
    items = fields.List(fields.Nested(WebhookEndpoint))


@component
class WebhookDelivery(Out):
    id = _int()
    webhook_id = _s("The webhook-id header: the same on every attempt and redelivery (your idempotency key).")
    event = _enum([*rules.EVENTS, rules.TEST_EVENT])
    status = _enum(["pending", "sending", "delivered", "failed"])
    attempts = _int()
    created_at = _time()
    last_attempt_at = _time(allow_none=True)
    next_attempt_at = _time("When a pending delivery is tried next.", allow_none=True)
    response_code = _int(allow_none=True)
    response_body = _s(f"At most {limits.WEBHOOK_RESPONSE_MAX} bytes of the answer.", allow_none=True)
    error = _s(allow_none=True)
    payload = fields.Dict(metadata={"description": "The body that was signed: type, timestamp and data."})


@component
class WebhookDeliveryList(Out):
    items = fields.List(fields.Nested(WebhookDelivery))


def endpoint_json(e) -> dict:
    return {"id": e.id, "url": e.url, "events": e.events.split(","), "active": bool(e.active),
            "failing_since": iso(e.failing_since), "disabled_at": iso(e.disabled_at), "created_at": iso(e.created_at)}


def delivery_json(d) -> dict:
    return {"id": d.id, "webhook_id": d.message_id, "event": d.event, "status": d.status, "attempts": d.attempts,
            "created_at": iso(d.created_at), "last_attempt_at": iso(d.last_attempt_at),
            "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None,
            "response_code": d.response_code, "response_body": d.response_body, "error": d.last_error,
            "payload": json.loads(d.payload)}


def _bad(exc: services.BadEndpoint) -> ApiError:
    return invalid("Some fields are not valid.", {exc.field: str(exc)})


def _disabled() -> ApiError:
    return ApiError(409, "endpoint_disabled", "The endpoint is disabled: enable it first (PATCH active=true).")


@bp.operation("/webhooks", "GET", summary="Your webhook endpoints", tag=TAG)
@bp.response(200, WebhookEndpointList)
def list_webhooks():
    """List the member's webhook endpoints, oldest first."""
    return {"items": [endpoint_json(e) for e in services.endpoints(acting_user())]}


@bp.operation("/webhooks", "POST", summary="Register a webhook endpoint", tag=TAG,
              errors=("webhook_limit_reached",),
              description="Answers with the endpoint's signing secret, shown only here (rotate it to get a new one).")
@bp.arguments(EndpointBody)
@bp.response(201, WebhookEndpointWithSecret)
def create_webhook(data: dict):
    """Register an endpoint for some events; deliveries are signed per Standard Webhooks."""
    try:
        created = services.create_endpoint(acting_user(), data["url"], data["events"], utcnow())
    except services.BadEndpoint as exc:
        raise _bad(exc) from exc
    except services.EndpointLimitReached as exc:
        limit = current_app.config["WEBHOOK_ENDPOINTS_MAX_PER_USER"]
        raise ApiError(409, "webhook_limit_reached", f"You already have {limit} endpoints, the most allowed.") from exc
    return {**endpoint_json(created.endpoint), "secret": created.secret}


def _owned(endpoint_id: int):
    endpoint = services.get_endpoint(acting_user(), endpoint_id)
    if endpoint is None:
        raise not_found(NOT_YOURS)
    return endpoint


@bp.operation("/webhooks/<api_id:endpoint_id>", "GET", summary="One webhook endpoint", tag=TAG)
@bp.response(200, WebhookEndpoint)
def get_webhook(endpoint_id: int):
    """Return one of the member's endpoints."""
    return endpoint_json(_owned(endpoint_id))


@bp.operation("/webhooks/<api_id:endpoint_id>", "PATCH", summary="Change, enable or disable an endpoint", tag=TAG,
              description="Send only the fields to change.")
@bp.arguments(EndpointPatchBody)
@bp.response(200, WebhookEndpoint)
def update_webhook(data: dict, endpoint_id: int):
    """Change an endpoint's URL or events, or enable or disable it."""
    try:
        endpoint = services.update_endpoint(acting_user(), endpoint_id, utcnow(), url=data.get("url"),
                                            events=data.get("events"), active=data.get("active"))
    except services.BadEndpoint as exc:
        raise _bad(exc) from exc
    if endpoint is None:
        raise not_found(NOT_YOURS)
    return endpoint_json(endpoint)


@bp.operation("/webhooks/<api_id:endpoint_id>", "DELETE", summary="Delete an endpoint", tag=TAG, responses=NO_CONTENT)
def delete_webhook(endpoint_id: int):
    """Delete one of the member's endpoints with its delivery log."""
    if not services.delete_endpoint(acting_user(), endpoint_id):
        raise not_found(NOT_YOURS)
    return current_app.response_class(status=204)


@bp.operation("/webhooks/<api_id:endpoint_id>/rotate-secret", "POST", summary="Give an endpoint a new secret",
              tag=TAG, description="The old secret stops signing at once; the new one is shown only here.")
@bp.response(200, WebhookSecret)
def rotate_webhook_secret(endpoint_id: int):
    """Rotate an endpoint's signing secret."""
    secret = services.rotate_secret(acting_user(), endpoint_id)
    if secret is None:
        raise not_found(NOT_YOURS)
    return {"secret": secret}


@bp.operation("/webhooks/<api_id:endpoint_id>/test", "POST", summary="Send a test event", tag=TAG,
              errors=("endpoint_disabled",),
              description="Queues a `webhook.test` event to this endpoint, whatever events it subscribes to.")
@bp.response(202, WebhookDelivery)
def test_webhook(endpoint_id: int):
    """Queue a test event; its delivery is in the answer (and in the log)."""
    try:
        row = services.send_test(acting_user(), endpoint_id, utcnow())
    except services.EndpointDisabled as exc:
        raise _disabled() from exc
    if row is None:
        raise not_found(NOT_YOURS)
    return delivery_json(row)


@bp.operation("/webhooks/<api_id:endpoint_id>/deliveries", "GET", summary="An endpoint's delivery log", tag=TAG,
              description="The newest 50 deliveries, newest first.")
@bp.response(200, WebhookDeliveryList)
def list_webhook_deliveries(endpoint_id: int):
    """Return the endpoint's newest deliveries."""
    rows = services.deliveries(acting_user(), endpoint_id)
    if rows is None:
        raise not_found(NOT_YOURS)
    return {"items": [delivery_json(d) for d in rows]}


@bp.operation("/webhooks/<api_id:endpoint_id>/deliveries/<api_id:delivery_id>/redeliver", "POST",
              summary="Send a delivery again", tag=TAG, errors=("endpoint_disabled", "delivery_in_progress"),
              description="Same webhook-id (your idempotency key), fresh attempts.")
@bp.response(202, WebhookDelivery)
def redeliver_webhook(endpoint_id: int, delivery_id: int):
    """Queue one delivery again."""
    try:
        row = services.redeliver(acting_user(), endpoint_id, delivery_id, utcnow())
    except services.EndpointDisabled as exc:
        raise _disabled() from exc
    except services.DeliveryBusy as exc:
        raise ApiError(409, "delivery_in_progress", "That delivery is being sent right now.") from exc
    if row is None:
        raise not_found("You have no delivery with this id at this endpoint.")
    return delivery_json(row)
