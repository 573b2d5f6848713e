"""Schemathesis against the OpenAPI document: every operation, a valid token, no 500, no schema violation.

The document is built the way ``GET /api/v1/openapi.json`` builds it, from an app made for that (a test elsewhere
checks that it covers every route), and each case is sent to the test app in-process through WSGI.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from oneclick import create_app
from oneclick.api.core import build_document
from oneclick.extensions import db
from oneclick.models import User

from ..factories import make_api_token


def _document() -> dict:
    app = create_app({"TESTING": True, "SECRET_KEY": "s" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        return build_document("http://oneclick.test")


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture
def bearer(app, user):
    with app.app_context():
        return {"Authorization": f"Bearer {make_api_token(db.session.get(User, user['id']))}"}


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("ONECLICK_SCHEMATHESIS_EXAMPLES", "20")),  # more for a deeper local run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_document(case, app, bearer):
    # Every check but one: "schema-valid data must be accepted" can't hold where validity isn't a matter of
    # shape (a cursor must be one we issued, an expiry must lie in the future, a recipient must be named).
    case.operation.schema.app = app  # this test's app: the cases and schemathesis' own probes go through WSGI
    case.call_and_validate(app=app, headers=bearer, excluded_checks=[checks.positive_data_acceptance])
