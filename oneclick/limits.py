"""Every length limit of human text, declared once: the column, the web form and the API schema all read it.

Stdlib only. A setting that narrows a limit (``INVITE_MESSAGE_MAX``) may never exceed the column holding the
value; ``check`` refuses such a configuration at start-up.
"""

from __future__ import annotations

EMAIL_MAX = 254  # RFC 5321: the longest address that can receive mail
PERSON_NAME_MAX = 100  # a member's, a guest's or an invitee's name
HEADLINE_MAX = 160
HANDLE_MIN, HANDLE_MAX = 3, 30
LINK_LABEL_MAX = 80
LINK_MESSAGE_MAX = 500  # shown to visitors above the request form
REQUEST_NOTE_MAX = 300  # a visitor's note to the link's owner
INVITE_MESSAGE_MAX = 300  # the invitation_message column; the INVITE_MESSAGE_MAX setting may only narrow it
SUPPORT_MESSAGE_MAX = 1000
TOKEN_NAME_MAX = 80
SEARCH_MAX = 100  # search boxes (not stored)
SNIPPET_TEXT_MAX = 60  # the text of a copy-paste snippet (not stored)
CAPTCHA_ANSWER_MAX = 20  # not stored: only its keyed hash is
PASSWORD_MAX = 256  # not stored: only its hash is
MAIL_KEY_MAX = 100  # a queued mail's idempotency key (its Message-ID is derived from it)
MAIL_ERROR_MAX = 300  # the last delivery error kept with a queued mail (cut, never a whole trace)
WEBHOOK_URL_MAX = 500  # a webhook endpoint's URL
WEBHOOK_EVENTS_MAX = 200  # the stored comma-separated list of events an endpoint subscribes to
WEBHOOK_RESPONSE_MAX = 300  # bytes of a webhook endpoint's answer kept in the delivery log (never more)
WEBHOOK_ERROR_MAX = 300  # the last delivery error kept with a webhook delivery
LINK_MAX_REQUESTS = 100_000  # the largest request limit a link may carry
LINK_SLUG_MIN, LINK_SLUG_MAX = 1, 40  # a link's stable short path /@handle/<slug>
SOURCE_VALUE_MAX = 64  # a click source's value: a referring host or a utm_source (longer hosts count as "other")
SOURCE_VALUES_PER_DAY = 20  # named referring hosts (and utm_sources) kept per link and day; the rest is "other"
ORGANISATION_MAX = 100  # a contact card's organisation, and a guest's typed one
PHONE_MAX = 40  # a contact card's phone number (digits, spaces, + ( ) - . /)
PROFILE_URL_MAX = 300  # a contact card's website or social profile URL
CARD_FIELDS_MAX = 200  # the stored list of card field keys a link shares or a requester shares back

#: Settings that narrow a limit, and the column size they may not exceed.
SETTING_COLUMNS = {"INVITE_MESSAGE_MAX": ("invitations.message", INVITE_MESSAGE_MAX)}


def problems(config) -> list[str]:
    """Return a message for each configured limit that is not a whole number from 1 to its column's size."""
    found = []
    for key, (column, size) in SETTING_COLUMNS.items():
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= size:
            found.append(
                f"{key}={value!r} does not fit: {column} holds at most {size} characters. "
                f"Set {key} to a whole number from 1 to {size}."
            )
    return found
