"""Keyset cursors for the inbox and connections pages: exact round trips, garbage refused."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneclick.inbox.services import _csv_safe, decode_cursor, encode_cursor
from oneclick.validators import MAX_ID


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)),
    st.integers(min_value=1, max_value=MAX_ID),
)
def test_cursor_round_trips_to_the_microsecond(moment, row_id):
    assert decode_cursor(encode_cursor(moment, row_id)) == (moment, row_id)


def test_cursor_keeps_microseconds_that_floats_would_lose():
    moment = datetime(2026, 11, 26, 5, 47, 10, 999_999, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, 7))[0] - moment == timedelta(0)


@pytest.mark.parametrize(
    "cursor", [None, "", "abc", "1-", "-1", "1-x", "x-1", "1.5-2", "1-2-3", "9" * 41, "99999999999999999999999-1",
               "²-1", "1-²", "1-" + str(MAX_ID + 1)]
)
def test_malformed_cursor_is_none(cursor):
    assert decode_cursor(cursor) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("plain", "plain"), (None, "")],
)
def test_csv_cells_never_start_a_formula(value, expected):
    assert _csv_safe(value) == expected
