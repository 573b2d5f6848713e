"""The captcha is readable and says exactly what went wrong (issue 12): spaced digits, one label, exact messages."""

from __future__ import annotations

import html as html_lib
import io
import re
from itertools import combinations

import pytest
from PIL import Image

from oneclick.invitations import captcha as captchas
from oneclick.models import Captcha

from ..auth.test_identity import LOCKOUT, _captcha_of, _hammer, _login
from ..conftest import AuthActions, body
from ..factories import DEFAULT_PASSWORD
from .conftest import invitations_of, known_captcha_answer, post_form
from .test_invitations_send import captcha_id_in, note


def text(response) -> str:
    return html_lib.unescape(body(response))


def _apart(a, b) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_the_layout_gives_every_digit_its_own_slot_with_space_between():
    slots = captchas.digit_slots(captchas.DIGITS)
    assert len(slots) == 6
    for (left, top, right, bottom) in slots:
        assert 0 <= left < right <= captchas.IMAGE_WIDTH and 0 <= top < bottom <= captchas.IMAGE_HEIGHT
        assert right - left >= 40 and bottom - top >= 70  # big enough to read
    for a, b in zip(slots, slots[1:], strict=False):
        assert b[0] - a[2] >= captchas.DIGIT_GAP


@pytest.mark.parametrize("answer", ["000000", "888888", "180871", "471147", "123456"])
def test_rendered_digits_never_overlap(answer):
    for _ in range(5):  # the distortion is random: several pictures of each
        picture = captchas.SpacedCaptcha()
        png = picture.generate(answer).getvalue()
        assert Image.open(io.BytesIO(png)).size == (captchas.IMAGE_WIDTH, captchas.IMAGE_HEIGHT)
        assert len(picture.drawn) == 6
        for a, b in combinations(picture.drawn, 2):
            assert _apart(a, b), (answer, picture.drawn)
        for box, slot in zip(picture.drawn, captchas.digit_slots(6), strict=True):
            assert slot[0] <= box[0] and box[2] <= slot[2] and slot[1] <= box[1] and box[3] <= slot[3]
            assert box[3] - box[1] >= 50  # the digits are drawn large


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0)
def test_invite_captcha_has_one_label_and_exact_messages(app, client, people, as_member):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    page = client.get(path).get_data(as_text=True)
    fieldset = page[page.index('<fieldset class="field captcha'):]
    fieldset = fieldset[:fieldset.index("</fieldset>")]
    assert len(re.findall(r"Security check", fieldset)) == 1  # the legend only, not the input's label too
    assert "Type the six digits you see (or hear)" in fieldset
    assert 'width="330" height="100"' in fieldset
    captcha_id = captcha_id_in(page)

    # Empty: says what to type, and leaves the captcha unused (nothing was tried).
    response = post_form(client, path, note(captcha_id=captcha_id, captcha_answer="  "), token_from=path)
    html = text(response)
    assert response.status_code == 200
    assert "Type the six digits you see (or hear) to send this invitation." in html
    assert "wasn't right" not in html
    assert captcha_id_in(html) == captcha_id
    with app.app_context():
        from oneclick.extensions import db

        assert db.session.get(Captcha, captcha_id).used_at is None

    # Wrong: says so, and a new one is shown.
    response = post_form(client, path, note(captcha_id=captcha_id, captcha_answer="999999x"), token_from=path)
    html = text(response)
    assert "That answer wasn't right; here is a new one." in html
    assert captcha_id_in(html) != captcha_id
    assert invitations_of(app, people.ada) == []

    # Right: sent.
    captcha_id = captcha_id_in(html)
    answer = known_captcha_answer(app, captcha_id)
    response = post_form(client, path, note(captcha_id=captcha_id, captcha_answer=answer), token_from=path)
    assert response.status_code == 302 and len(invitations_of(app, people.ada)) == 1


@pytest.mark.config(**LOCKOUT)
def test_sign_in_captcha_has_one_label_and_exact_messages(app, user):
    _hammer(app, "ada@example.com", 4)
    owner = AuthActions(app.test_client())
    first = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client)
    html = body(first)
    fieldset = html[html.index('<fieldset class="field captcha'):]
    fieldset = fieldset[:fieldset.index("</fieldset>")]
    assert fieldset.count("Security check") == 1 and 'width="330" height="100"' in fieldset
    captcha_id, _ = _captcha_of(first)

    empty = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client,
                   captcha_answer="")
    assert "Type the six digits you see or hear." in text(empty) and "wasn't right" not in text(empty)
    assert _captcha_of(empty)[0] == captcha_id  # not used up by an empty answer

    wrong = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client,
                   captcha_answer="000000")
    assert "That answer wasn't right; here is a new one." in text(wrong)
    new_id, _ = _captcha_of(wrong)
    assert new_id != captcha_id
    # (The right answer signing in is tests/auth/test_identity.py::TestNoLockOut.)
