"""Table-driven tests of the pure invitation rules: every rule and every boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oneclick.invitations import rules
from oneclick.invitations.rules import (
    Quota,
    RecipientAction,
    SenderAction,
    Settings,
    Status,
    Target,
)

S = Settings()
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
MEMBER = Target()
FRESH = Quota()


def test_defaults_are_the_issues_numbers():
    assert (S.allotment, S.captcha_after_per_day, S.grant_min, S.grant_max) == (3000, 100, 500, 1000)
    assert S.grant_interval == timedelta(days=30)
    assert S.stale_after == timedelta(days=7)
    assert (S.restrict_after_declines, S.spammer_after_declines, S.self_lifts) == (5, 15, 1)
    assert S.resend_interval == timedelta(days=7)
    assert S.message_max == 300


def test_settings_from_config():
    config = {
        "INVITE_ALLOTMENT": 10, "CAPTCHA_AFTER_PER_DAY": 2, "GRANT_MIN": 1, "GRANT_MAX": 3, "GRANT_INTERVAL_DAYS": 1,
        "STALE_AFTER_DAYS": 2, "RESTRICT_AFTER_DECLINES": 2, "SPAMMER_AFTER_DECLINES": 4, "SELF_LIFTS": 2,
        "RESEND_INTERVAL_DAYS": 0.5, "INVITE_MESSAGE_MAX": 50,
    }
    s = Settings.from_config(config)
    assert s == Settings(10, 2, 1, 3, timedelta(days=1), timedelta(days=2), 2, 4, 2, timedelta(hours=12), 50)


def invite(quota=FRESH, target=MEMBER, relationship="colleague", email_given=False, email_matches=False,
           captcha_solved=False, s=S):
    return rules.can_invite(
        s, quota, target, relationship=relationship, email_given=email_given,
        email_matches=email_matches, captcha_solved=captcha_solved,
    )


# (description, quota, target, kwargs, allowed, reason, needs_email, needs_captcha)
INVITE_CASES = [
    ("fresh member, member target", Quota(), MEMBER, {}, True, "ok", False, False),
    # Rule 1: allotment, exactly at the edge.
    ("one left", Quota(sent_total=2999), MEMBER, {}, True, "ok", False, False),
    ("allotment used up", Quota(sent_total=3000), MEMBER, {}, False, "allotment_exhausted", False, False),
    ("past the allotment", Quota(sent_total=3001), MEMBER, {}, False, "allotment_exhausted", False, False),
    ("a grant adds room", Quota(sent_total=3000, extra_allotment=500), MEMBER, {}, True, "ok", False, False),
    ("grant used up", Quota(sent_total=3500, extra_allotment=500), MEMBER, {}, False, "allotment_exhausted",
     False, False),
    # Rule 2: 100 free in 24 h; the 101st needs a captcha.
    ("99 sent: the 100th is free", Quota(sent_24h=99), MEMBER, {}, True, "ok", False, False),
    ("100 sent: the 101st needs one", Quota(sent_24h=100), MEMBER, {}, False, "captcha_required", False, True),
    ("captcha solved", Quota(sent_24h=100), MEMBER, {"captcha_solved": True}, True, "ok", False, True),
    ("far beyond, solved", Quota(sent_24h=1000), MEMBER, {"captcha_solved": True}, True, "ok", False, True),
    # Rule 3: invited before (any status but accepted) -> only by email, and the right email.
    ("invited before, no email", Quota(), Target(invited_before_at=NOW), {}, False, "email_required", True, False),
    ("invited before, wrong email", Quota(), Target(invited_before_at=NOW), {"email_given": True}, False,
     "email_mismatch", True, False),
    ("invited before, right email", Quota(), Target(invited_before_at=NOW),
     {"email_given": True, "email_matches": True}, True, "ok", True, False),
    ("still pending", Quota(), Target(pending_invitation=True), {}, False, "already_pending", False, False),
    # Rule 7: a restricted account needs the email for every invitation.
    ("restricted, no email", Quota(restricted=True, restrictions=1), MEMBER, {}, False, "email_required", True,
     False),
    ("restricted, wrong email", Quota(restricted=True, restrictions=1), MEMBER, {"email_given": True}, False,
     "email_mismatch", True, False),
    ("restricted, right email", Quota(restricted=True, restrictions=1), MEMBER,
     {"email_given": True, "email_matches": True}, True, "ok", True, False),
    ("non-member: always by email", Quota(), Target(is_member=False), {"email_given": True, "email_matches": True},
     True, "ok", True, False),
    # Rule 10: never yourself, never a connection; these win over everything else.
    ("self", Quota(), Target(is_self=True), {}, False, "self_invite", False, False),
    ("connection", Quota(), Target(is_connection=True), {}, False, "already_connected", False, False),
    ("connection beats exhausted", Quota(sent_total=3000), Target(is_connection=True), {}, False,
     "already_connected", False, False),
    # You can't invite someone you don't know; bad relationship values are refused.
    ("I don't know them", Quota(), MEMBER, {"relationship": "dont_know"}, False, "relationship_unknown", False,
     False),
    ("made-up relationship", Quota(), MEMBER, {"relationship": "enemy"}, False, "relationship_invalid", False,
     False),
    # Email, then captcha: both asked for at once when both are needed.
    ("restricted and beyond 100", Quota(restricted=True, restrictions=1, sent_24h=100), MEMBER,
     {"email_given": True, "email_matches": True}, False, "captcha_required", True, True),
]


@pytest.mark.parametrize(
    "quota,target,kwargs,allowed,reason,needs_email,needs_captcha",
    [case[1:] for case in INVITE_CASES],
    ids=[case[0] for case in INVITE_CASES],
)
def test_can_invite(quota, target, kwargs, allowed, reason, needs_email, needs_captcha):
    decision = invite(quota, target, **kwargs)
    assert (decision.allowed, decision.reason) == (allowed, reason)
    assert decision.needs_email is needs_email
    assert decision.needs_captcha is needs_captcha
    assert bool(decision) is allowed


def test_screen_question_reports_what_the_form_needs():
    decision = rules.can_invite(S, Quota(sent_24h=100, restricted=True), Target(invited_before_at=NOW))
    assert decision.allowed and decision.needs_email and decision.needs_captcha
    assert decision.invited_before_at == NOW
    assert not rules.can_invite(S, Quota(sent_total=3000), MEMBER).allowed


def test_exactly_the_allotment_then_refused_by_counting_up():
    s = Settings(allotment=5, captcha_after_per_day=10**6)
    quota, sent = Quota(), 0
    while invite(quota, s=s).allowed:
        quota = rules.after_send(quota)
        sent += 1
    assert sent == 5
    assert invite(quota, s=s).reason == "allotment_exhausted"
    assert rules.invitations_left(quota, s) == 0


def test_exactly_100_free_then_captcha_by_counting_up():
    quota, free = Quota(), 0
    while invite(quota).allowed:
        quota = rules.after_send(quota)
        free += 1
    assert free == 100
    assert invite(quota).reason == "captcha_required"
    assert invite(quota, captcha_solved=True).allowed


def test_withdraw_never_credits():
    quota = rules.after_send(Quota(sent_total=2999))
    assert rules.can_withdraw(Status.PENDING).allowed
    # There is no "after_withdraw": the counters are untouched, so the allotment stays used.
    assert invite(quota).reason == "allotment_exhausted"


# ---- declines, restriction, spammer (rule 7) ------------------------------------------------------------


def test_fifth_decline_restricts_not_the_fourth():
    quota = Quota()
    for n in range(1, 5):
        out = rules.after_decline(quota, S)
        quota = out.quota
        assert not out.restricted_now and not quota.restricted, n
    out = rules.after_decline(quota, S)
    assert out.restricted_now and out.quota.restricted
    assert out.quota.restrictions == 1
    assert out.quota.declines_since_lift == 5


def test_declines_while_restricted_do_not_restrict_again():
    quota = Quota(restricted=True, restrictions=1, declines_since_lift=5, declines_total=5)
    out = rules.after_decline(quota, S)
    assert not out.restricted_now and out.quota.restrictions == 1 and out.quota.declines_since_lift == 6


def test_declines_count_since_last_lift():
    quota = rules.after_lift(Quota(restricted=True, restrictions=1, declines_since_lift=5, declines_total=5))
    assert quota == Quota(restrictions=1, declines_total=5)
    for _ in range(4):
        quota = rules.after_decline(quota, S).quota
    assert not quota.restricted
    out = rules.after_decline(quota, S)
    assert out.restricted_now and out.quota.restrictions == 2 and out.quota.declines_total == 10


@pytest.mark.parametrize("before,labelled", [(13, False), (14, True), (15, False)])
def test_fifteenth_decline_in_total_labels_a_spammer(before, labelled):
    quota = Quota(declines_total=before, restricted=True, restrictions=3)
    out = rules.after_decline(quota, S)
    assert out.labelled_spammer_now is labelled
    assert out.quota.spammer is labelled


def test_unlabelled_member_is_not_relabelled_by_the_next_decline():
    quota = Quota(declines_total=15, spammer=False, restricted=True, restrictions=3)
    assert not rules.after_decline(quota, S).quota.spammer


# ---- lifting (rule 8) ------------------------------------------------------------------------------------

LIFT_CASES = [
    ("not restricted", Quota(), False, "not_restricted"),
    ("first restriction", Quota(restricted=True, restrictions=1), True, "ok"),
    ("second restriction", Quota(restricted=True, restrictions=2), False, "support_required"),
    ("fourth restriction", Quota(restricted=True, restrictions=4), False, "support_required"),
]


@pytest.mark.parametrize("quota,allowed,reason", [c[1:] for c in LIFT_CASES], ids=[c[0] for c in LIFT_CASES])
def test_self_lift(quota, allowed, reason):
    decision = rules.can_self_lift(quota, S)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_first_lift_self_service_second_needs_support():
    quota = Quota()
    for _ in range(5):
        quota = rules.after_decline(quota, S).quota
    assert rules.can_self_lift(quota, S).allowed
    quota = rules.after_lift(quota)
    for _ in range(5):
        quota = rules.after_decline(quota, S).quota
    assert quota.restricted
    assert rules.can_self_lift(quota, S).reason == "support_required"
    assert rules.can_request_lift(quota, S, request_open=False).allowed
    assert rules.can_request_lift(quota, S, request_open=True).reason == "request_open"
    assert rules.can_support_lift(quota).allowed
    assert not rules.can_support_lift(rules.after_lift(quota)).allowed


@pytest.mark.parametrize(
    "quota,reason",
    [(Quota(), "not_restricted"), (Quota(restricted=True, restrictions=1), "self_lift_available")],
)
def test_request_lift_refusals(quota, reason):
    assert rules.can_request_lift(quota, S, request_open=False).reason == reason


# ---- grants (rule 5) --------------------------------------------------------------------------------------

GRANT_CASES = [
    ("minimum", Quota(), 500, NOW, True, "ok"),
    ("maximum", Quota(), 1000, NOW, True, "ok"),
    ("below minimum", Quota(), 499, NOW, False, "grant_out_of_bounds"),
    ("above maximum", Quota(), 1001, NOW, False, "grant_out_of_bounds"),
    ("zero", Quota(), 0, NOW, False, "grant_out_of_bounds"),
    ("negative", Quota(), -500, NOW, False, "grant_out_of_bounds"),
    ("spammer", Quota(spammer=True), 500, NOW, False, "spammer"),
    ("a second too soon", Quota(last_grant_at=NOW - timedelta(days=30) + timedelta(seconds=1)), 500, NOW, False,
     "grant_too_soon"),
    ("exactly 30 days later", Quota(last_grant_at=NOW - timedelta(days=30)), 500, NOW, True, "ok"),
    ("the next day", Quota(last_grant_at=NOW - timedelta(days=1)), 500, NOW, False, "grant_too_soon"),
]


@pytest.mark.parametrize("quota,amount,now,allowed,reason", [c[1:] for c in GRANT_CASES],
                         ids=[c[0] for c in GRANT_CASES])
def test_can_grant(quota, amount, now, allowed, reason):
    decision = rules.can_grant(quota, amount, now, S)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_grant_too_soon_says_when():
    last = NOW - timedelta(days=10)
    assert rules.can_grant(Quota(last_grant_at=last), 500, NOW, S).next_allowed_at == last + timedelta(days=30)


def test_after_grant():
    quota = rules.after_grant(Quota(sent_total=3000), 700, NOW)
    assert quota.extra_allotment == 700 and quota.last_grant_at == NOW
    assert rules.invitations_left(quota, S) == 700
    assert rules.can_grant(quota, 500, NOW + timedelta(days=29), S).reason == "grant_too_soon"


@pytest.mark.parametrize(
    "quota,open_,allowed,reason",
    [
        (Quota(sent_total=2999), False, False, "allotment_left"),
        (Quota(sent_total=3000), False, True, "ok"),
        (Quota(sent_total=3000), True, False, "request_open"),
    ],
)
def test_request_more(quota, open_, allowed, reason):
    decision = rules.can_request_more(quota, S, request_open=open_)
    assert (decision.allowed, decision.reason) == (allowed, reason)


@pytest.mark.parametrize(
    "fn,quota,reason",
    [
        (rules.can_label, Quota(), "ok"),
        (rules.can_label, Quota(spammer=True), "already_labelled"),
        (rules.can_unlabel, Quota(spammer=True), "ok"),
        (rules.can_unlabel, Quota(), "not_labelled"),
    ],
)
def test_label_and_unlabel(fn, quota, reason):
    assert fn(quota).reason == reason


# ---- stale (rule 6) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status,age,stale",
    [
        (Status.PENDING, timedelta(days=7), False),
        (Status.PENDING, timedelta(days=7, seconds=1), True),
        (Status.PENDING, timedelta(days=30), True),
        (Status.IGNORED, timedelta(days=30), False),
        (Status.WITHDRAWN, timedelta(days=30), False),
        (Status.ACCEPTED, timedelta(days=30), False),
    ],
)
def test_stale(status, age, stale):
    assert rules.is_stale(status, NOW - age, NOW, S) is stale


# ---- what the sender sees (rule 9) ------------------------------------------------------------------------

W, R, D = SenderAction.WITHDRAW, SenderAction.RESEND, SenderAction.DELETE
SENDER_CASES = [
    (Status.PENDING, False, {W, R}),
    (Status.IGNORED, False, {W}),
    (Status.DECLINED, False, set()),
    (Status.ACCEPTED, False, set()),
    (Status.WITHDRAWN, False, {D}),
    (Status.WITHDRAWN, True, set()),
]


@pytest.mark.parametrize("status,deleted,actions", SENDER_CASES)
def test_sender_actions(status, deleted, actions):
    assert rules.sender_actions(status, deleted) == actions
    assert rules.can_withdraw(status).allowed is (W in actions)
    assert rules.can_delete(status, deleted).allowed is (D in actions)


RESEND_CASES = [
    ("pending, a week old", Status.PENDING, timedelta(days=7), None, True, "ok"),
    ("pending, a day old", Status.PENDING, timedelta(days=1), None, False, "resend_too_soon"),
    ("resent 6 days ago", Status.PENDING, timedelta(days=20), timedelta(days=6), False, "resend_too_soon"),
    ("resent 7 days ago", Status.PENDING, timedelta(days=20), timedelta(days=7), True, "ok"),
    ("ignored", Status.IGNORED, timedelta(days=20), None, False, "not_resendable"),
    ("declined", Status.DECLINED, timedelta(days=20), None, False, "not_resendable"),
    ("withdrawn", Status.WITHDRAWN, timedelta(days=20), None, False, "not_resendable"),
    ("accepted", Status.ACCEPTED, timedelta(days=20), None, False, "not_resendable"),
]


@pytest.mark.parametrize("status,age,resent_ago,allowed,reason", [c[1:] for c in RESEND_CASES],
                         ids=[c[0] for c in RESEND_CASES])
def test_can_resend(status, age, resent_ago, allowed, reason):
    resent_at = NOW - resent_ago if resent_ago is not None else None
    decision = rules.can_resend(status, NOW - age, resent_at, NOW, S)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_resend_costs_no_invitation():
    # Resending is decided without the quota at all: nothing to count.
    quota = Quota(sent_total=3000)
    assert rules.can_resend(Status.PENDING, NOW - timedelta(days=8), None, NOW, S).allowed
    assert rules.invitations_left(quota, S) == 0


# ---- what the recipient sees ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status,actions",
    [
        (Status.PENDING, set(RecipientAction)),
        (Status.IGNORED, {RecipientAction.ACCEPT, RecipientAction.IDK, RecipientAction.SPAM}),
        (Status.DECLINED, set()),
        (Status.ACCEPTED, set()),
        (Status.WITHDRAWN, set()),
    ],
)
def test_recipient_actions(status, actions):
    assert rules.recipient_actions(status) == actions
    for action in RecipientAction:
        assert rules.can_respond(status, action).allowed is (action in actions)


# ---- what the restriction page, the "more" page and the meters offer -----------------------------------------


@pytest.mark.parametrize(("quota", "request_open", "expected"), [
    (Quota(restricted=False), False, (False, "not_restricted")),
    (Quota(restricted=False), True, (False, "not_restricted")),
    (Quota(restricted=True, restrictions=1), False, (True, "self_lift_available")),
    (Quota(restricted=True, restrictions=1), True, (True, "self_lift_available")),
    (Quota(restricted=True, restrictions=2), False, (True, "ok")),
    (Quota(restricted=True, restrictions=2), True, (False, "request_open")),
])
def test_lift_path(quota, request_open, expected):
    decision = rules.lift_path(quota, S, request_open=request_open)
    assert (decision.allowed, decision.reason) == expected


@pytest.mark.parametrize(("sent", "request_open", "expected"), [
    (S.allotment - 1, False, (False, "allotment_left")),
    (S.allotment - 1, True, (False, "request_open")),  # an open request is shown first, even with some left
    (S.allotment, False, (True, "ok")),
    (S.allotment, True, (False, "request_open")),
    (S.allotment + 5, False, (True, "ok")),
])
def test_more_invitations_path(sent, request_open, expected):
    decision = rules.more_invitations_path(Quota(sent_total=sent), S, request_open=request_open)
    assert (decision.allowed, decision.reason) == expected
