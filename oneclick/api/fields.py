"""Request fields for the JSON API: each one parses a value and describes itself as a JSON Schema.

One declaration serves both the validation of requests and the OpenAPI document, so the two can't drift.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from flask import request

from ..validators import CONTROL_MULTI_LINE, CONTROL_ONE_LINE, control_problem
from .errors import invalid

MISSING = object()

# Character classes spelled out (no \s, whose meaning differs between regex engines), shared by the checks
# below and the JSON Schema patterns in the OpenAPI document.
# Control characters: the one rule in oneclick/validators.py (one-line fields refuse tab, CR and LF too).
_NO_CONTROL = f"[^{CONTROL_ONE_LINE}]"
_NO_CONTROL_MULTI_LINE = f"[^{CONTROL_MULTI_LINE}]"
_VISIBLE = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_VISIBLE_RE = re.compile(_VISIBLE)
_RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII)


class Field:
    """A request field: ``parse`` returns the clean value or raises ValueError with a message for people."""

    json_type = "string"

    def __init__(self, *, required: bool = False, nullable: bool = False, description: str = ""):
        self.required = required
        self.nullable = nullable
        self.description = description

    def parse(self, value):
        """Return the clean value or raise ValueError."""
        raise NotImplementedError

    def parse_query(self, text: str):
        """Return the clean value of a query-string parameter or raise ValueError."""
        return self.parse(text)

    def base_schema(self) -> dict:
        """Return the JSON Schema of a non-null value."""
        return {"type": self.json_type}

    def schema(self) -> dict:
        """Return the JSON Schema of the field (null included when allowed)."""
        schema = self.base_schema()
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        if self.description:
            schema["description"] = self.description
        return schema


class Str(Field):
    """Text, stripped of surrounding white space, within a length range; one line unless ``multiline``."""

    def __init__(self, *, min_length: int = 0, max_length: int, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.min_length = min_length
        self.max_length = max_length
        self.multiline = multiline

    def parse(self, value):
        # The checks run on the value as sent, exactly as the JSON Schema below states them; then it is stripped.
        if not isinstance(value, str):
            raise ValueError("Must be a string.")
        if len(value) > self.max_length:
            raise ValueError(f"Use at most {self.max_length} characters.")
        problem = control_problem(value, multiline=self.multiline)
        if problem:
            raise ValueError(problem)
        if self.min_length and not _VISIBLE_RE.search(value):
            raise ValueError("Must not be empty.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate from a \ud800-style escape
            raise ValueError("Must be valid Unicode text.") from exc
        value = value.strip()
        if len(value) < self.min_length:
            raise ValueError(f"Use at least {self.min_length} characters.")
        return value

    def base_schema(self) -> dict:
        schema: dict = {"type": "string", "maxLength": self.max_length}
        allowed = _NO_CONTROL_MULTI_LINE if self.multiline else _NO_CONTROL
        if self.min_length:
            schema["minLength"] = self.min_length
            schema["pattern"] = f"^{allowed}*{_VISIBLE}{allowed}*$"
        else:
            schema["pattern"] = f"^{allowed}*$"
        return schema


class Email(Field):
    """An email address, normalised to lower case."""

    def parse(self, value):
        if not isinstance(value, str) or len(value) > 254:
            raise ValueError("Enter a valid email address.")
        try:
            return validate_email(value.strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise ValueError("Enter a valid email address.") from exc

    def base_schema(self) -> dict:
        # No "format": "email": JSON Schema's idea of an address differs from the validator's we use.
        return {"type": "string", "maxLength": 254}


class Int(Field):
    """A whole number within a range (JSON numbers only; ``true`` is not 1)."""

    json_type = "integer"

    def __init__(self, *, minimum: int, maximum: int, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("Must be a whole number.")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise ValueError("Must be a whole number.")
            value = int(value)
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"Use a number from {self.minimum} to {self.maximum}.")
        return value

    def parse_query(self, text: str):
        text = text.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise ValueError("Must be a whole number.")
        return self.parse(int(text))

    def base_schema(self) -> dict:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


class Bool(Field):
    """``true`` or ``false``."""

    json_type = "boolean"

    def parse(self, value):
        if not isinstance(value, bool):
            raise ValueError("Must be true or false.")
        return value


class Const(Field):
    """Exactly one JSON value, e.g. ``{"agree": true}``."""

    def __init__(self, value, message: str, **kwargs):
        super().__init__(**kwargs)
        self.value = value
        self.message = message

    def parse(self, value):
        if type(value) is not type(self.value) or value != self.value:
            raise ValueError(self.message)
        return value

    def base_schema(self) -> dict:
        return {"const": self.value}

    def schema(self) -> dict:
        schema = self.base_schema()
        if self.description:
            schema["description"] = self.description
        return schema


class Choice(Field):
    """One of a fixed set of strings."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def parse(self, value):
        if not isinstance(value, str) or value not in self.choices:
            raise ValueError("Use one of: " + ", ".join(self.choices) + ".")
        return value

    def base_schema(self) -> dict:
        return {"type": "string", "enum": list(self.choices)}


class DateTime(Field):
    """An ISO 8601 time with a zone (``2030-01-31T00:00:00Z``), returned as aware UTC."""

    def parse(self, value):
        if not isinstance(value, str) or not _RFC3339_RE.match(value):
            raise ValueError("Use an ISO 8601 time with a time zone, e.g. 2030-01-31T00:00:00Z.")
        try:
            moment = datetime.fromisoformat(value.upper())
        except ValueError as exc:
            raise ValueError("Use an ISO 8601 time with a time zone, e.g. 2030-01-31T00:00:00Z.") from exc
        if moment.tzinfo is None:
            raise ValueError("Add a time zone, e.g. 2030-01-31T00:00:00Z.")
        try:
            return moment.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise ValueError("That time is out of range.") from exc

    def base_schema(self) -> dict:
        return {"type": "string", "format": "date-time"}


# --- Reading requests ------------------------------------------------------------------------------------


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body():
    """Return the parsed JSON body; raise 400 ``invalid`` when it is missing or malformed."""
    data = request.get_data(cache=True)  # beyond MAX_CONTENT_LENGTH Werkzeug raises 413
    if not data.strip():
        raise invalid("Send a JSON object in the request body.")
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid("The request body is not valid JSON.") from exc


def parse_body(spec: dict[str, Field], *, partial: bool = False) -> dict:
    """Return the JSON object's fields, parsed; unknown, missing or bad fields are a 400 with ``fields``.

    With ``partial`` (PATCH) nothing is required and only the fields sent are returned.
    """
    body = json_body()
    if not isinstance(body, dict):
        raise invalid("Send a JSON object in the request body.")
    errors: dict[str, str] = {}
    clean: dict = {}
    for name in body:
        if name not in spec:
            errors[str(name)[:64]] = "Unknown field."
    for name, field in spec.items():
        value = body.get(name, MISSING)
        if value is MISSING:
            if field.required and not partial:
                errors[name] = "This field is required."
            continue
        if value is None:
            if field.nullable:
                clean[name] = None
            else:
                errors[name] = "Must not be null."
            continue
        try:
            clean[name] = field.parse(value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise invalid("Some fields are not valid.", fields=errors)
    return clean


def parse_query(spec: dict[str, Field]) -> dict:
    """Return the query-string parameters in ``spec``, parsed; bad ones are a 400 with ``fields``."""
    errors: dict[str, str] = {}
    clean: dict = {}
    for name in request.args:
        if name not in spec:
            errors[name[:64]] = "Unknown parameter."
    for name, field in spec.items():
        text = request.args.get(name)
        if text is None:
            if field.required:
                errors[name] = "This parameter is required."
            continue
        try:
            clean[name] = field.parse_query(text)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise invalid("Some parameters are not valid.", fields=errors)
    return clean


def body_schema(spec: dict[str, Field], *, partial: bool = False) -> dict:
    """Return the JSON Schema of a request body made of these fields."""
    schema: dict = {
        "type": "object",
        "properties": {name: field.schema() for name, field in spec.items()},
        "additionalProperties": False,
    }
    required = [name for name, field in spec.items() if field.required and not partial]
    if required:
        schema["required"] = required
    return schema
