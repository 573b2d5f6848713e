"""Each length limit is declared once (oneclick/limits.py): the column, the web form and the API schema agree,
and a setting that narrows a limit holds in the API (a setting beyond its column: tests/test_config.py)."""

from __future__ import annotations

import pytest
from wtforms.validators import Length

from oneclick import limits
from oneclick.admin import forms as admin_forms
from oneclick.api import forms as api_forms
from oneclick.auth import forms as auth_forms
from oneclick.inbox import forms as inbox_forms
from oneclick.invitations import forms as invitation_forms
from oneclick.links import forms as link_forms
from oneclick.models import ApiToken, ConnectionRequest, Invitation, InviteLink, SupportTicket, User


def _form_max(form_class, name: str) -> int:
    unbound = getattr(form_class, name)
    validators = unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else [])
    (length,) = [v for v in validators if isinstance(v, Length)]
    return length.max


@pytest.mark.parametrize(
    ("column", "form_fields", "limit"),
    [
        (User.name, [(auth_forms.RegisterForm, "name"), (auth_forms.ProfileForm, "name")], limits.PERSON_NAME_MAX),
        (User.headline, [(auth_forms.ProfileForm, "headline")], limits.HEADLINE_MAX),
        (User.handle, [(auth_forms.ProfileForm, "handle")], limits.HANDLE_MAX),
        (User.email, [(inbox_forms.GuestRequestForm, "email"), (invitation_forms.EmailInviteForm, "email")],
         limits.EMAIL_MAX),
        (InviteLink.label, [(link_forms.LinkForm, "label")], limits.LINK_LABEL_MAX),
        (InviteLink.message, [(link_forms.LinkForm, "message")], limits.LINK_MESSAGE_MAX),
        (ConnectionRequest.name, [(inbox_forms.GuestRequestForm, "name")], limits.PERSON_NAME_MAX),
        (ConnectionRequest.note, [(inbox_forms.GuestRequestForm, "note")], limits.REQUEST_NOTE_MAX),
        (Invitation.recipient_name, [(invitation_forms.EmailInviteForm, "name")], limits.PERSON_NAME_MAX),
        (SupportTicket.message, [(invitation_forms.SupportRequestForm, "message"),
                                 (invitation_forms.MoreInvitationsForm, "message")], limits.SUPPORT_MESSAGE_MAX),
        (ApiToken.name, [(api_forms.TokenForm, "name")], limits.TOKEN_NAME_MAX),
        (Invitation.message, [], limits.INVITE_MESSAGE_MAX),
    ],
)
def test_column_and_forms_use_the_declared_limit(column, form_fields, limit):
    assert column.type.length == limit
    for form_class, name in form_fields:
        assert _form_max(form_class, name) == limit, (form_class.__name__, name)


def test_search_boxes_share_one_limit():
    for form_class in (admin_forms.MemberSearchForm, inbox_forms.InboxFilterForm, invitation_forms.SearchForm):
        assert _form_max(form_class, "q") == limits.SEARCH_MAX


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _body_property(document: dict, path: str, method: str, name: str) -> dict:
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return _resolve(document, _resolve(document, body)["properties"][name])


@pytest.mark.parametrize(
    ("path", "method", "name", "column"),
    [
        ("/api/v1/links", "post", "label", InviteLink.label),
        ("/api/v1/links", "post", "message", InviteLink.message),
        ("/api/v1/links/{link_id}", "patch", "label", InviteLink.label),
        ("/api/v1/links/{link_id}", "patch", "message", InviteLink.message),
        ("/api/v1/requests", "post", "note", ConnectionRequest.note),
        ("/api/v1/invitations", "post", "message", Invitation.message),
        ("/api/v1/support", "post", "message", SupportTicket.message),
    ],
)
def test_the_api_document_states_the_column_limit(client, path, method, name, column):
    document = client.get("/api/v1/openapi.json").get_json()
    assert _body_property(document, path, method, name)["maxLength"] == column.type.length


@pytest.mark.config(INVITE_MESSAGE_MAX=50)
def test_a_narrower_setting_holds_in_the_api_and_the_form(app, client):
    from oneclick.api.services import create_token
    from oneclick.clock import utcnow
    from oneclick.extensions import db

    from .factories import make_user

    with app.app_context():
        raw = create_token(make_user(), "t", utcnow()).raw
        db.session.remove()
    response = client.post(
        "/api/v1/invitations",
        json={"email": "x@example.org", "relationship": "friend", "message": "y" * 51},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"message": "Use at most 50 characters."}
