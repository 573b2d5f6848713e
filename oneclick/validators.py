"""Control characters in human text: one rule for every web form and every API field.

A name, headline, label or token name is one line: no C0 control (tab, CR and LF included), no DEL, no C1
control and no Unicode line or paragraph separator, so it can never add a line to a mail header, a mail body,
a CSV row or a log line. A note or message may span lines: it may hold tab, LF and CR (a browser sends a
textarea's line breaks as CRLF), and nothing else from those sets. Multi-line text only ever goes into mail
bodies, never into a header, so its line breaks stay lines of the body.

The character classes are written as regex escapes that Python and ECMAScript (JSON Schema ``pattern``)
read the same way, so the OpenAPI document states exactly this rule.
"""

from __future__ import annotations

import re

from werkzeug.routing import IntegerConverter
from wtforms.validators import StopValidation

#: Characters no human field may hold, spelled as a regex class body.
CONTROL_MULTI_LINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
#: ... and, for one-line fields, tab, LF and CR as well.
CONTROL_ONE_LINE = r"\x00-\x1f\x7f-\x9f\u2028\u2029"

_ONE_LINE_RE = re.compile(f"[{CONTROL_ONE_LINE}]")
_MULTI_LINE_RE = re.compile(f"[{CONTROL_MULTI_LINE}]")

ONE_LINE_MESSAGE = "Use a single line without control characters."
MULTI_LINE_MESSAGE = "Remove the invisible control characters."


def control_problem(text: str | None, *, multiline: bool = False) -> str | None:
    """Return a message for people when ``text`` holds a character its kind of field refuses, else None."""
    if not text:
        return None
    if multiline:
        return MULTI_LINE_MESSAGE if _MULTI_LINE_RE.search(text) else None
    return ONE_LINE_MESSAGE if _ONE_LINE_RE.search(text) else None


class NoControl:
    """WTForms validator: refuse control characters (``multiline`` allows tab and line breaks)."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field):
        problem = control_problem(field.data if isinstance(field.data, str) else None, multiline=self.multiline)
        if problem:
            raise StopValidation(problem)


#: Ready-made validators for forms: ``validators=[..., one_line]`` or ``[..., multi_line]``.
one_line = NoControl()
multi_line = NoControl(multiline=True)


#: Largest id an ``Integer`` primary key holds on every database we run on (PostgreSQL's INTEGER is 32-bit).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a larger number matches no route (a 404), never an id the database refuses."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
