"""The pure ledger rules: formatting, minutes, fingerprints and who posts at once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from timebank.ledger import errors, rules


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0:00"), (90, "1:30"), (-690, "-11:30"), (-600, "-10:00"), (5, "0:05")],
)
def test_clock_format_shows_signed_hours_and_minutes(minutes, text):
    assert rules.format_clock(minutes) == text


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (30, "30 minutes"),
        (60, "1 hour"),
        (90, "1 hour 30 minutes"),
        (120, "2 hours"),
        (61, "1 hour 1 minute"),
        (-45, "minus 45 minutes"),
    ],
)
def test_duration_reads_as_words(minutes, text):
    assert rules.format_duration(minutes) == text


def test_whole_positive_minutes_are_accepted():
    assert rules.check_minutes(90) == 90
    assert rules.check_minutes(60.0) == 60


@pytest.mark.parametrize("value", [0, -1, 1.5, "90", None, True, float("nan"), 10**12])
def test_anything_else_is_an_invalid_amount_with_a_plain_message(value):
    with pytest.raises(errors.InvalidAmount) as caught:
        rules.check_minutes(value)
    assert caught.value.message.endswith(".")


def test_request_digest_is_stable_and_sensitive_to_every_field():
    day = dt.date(2026, 11, 1)
    base = {"minutes": 60, "giver": 1, "on": day, "id": uuid.UUID(int=7)}
    assert rules.request_digest(base) == rules.request_digest(dict(reversed(base.items())))
    assert rules.request_digest(base) != rules.request_digest({**base, "minutes": 61})


def test_giver_logging_waits_but_receiver_or_a_broker_for_others_posts_at_once():
    assert rules.posts_at_once(actor_is_giver=True) is False
    assert rules.posts_at_once(actor_is_giver=False) is True


def test_lowest_and_highest_possible_balances_count_pending():
    assert rules.lowest_possible_balance(100, 40, 30) == 30
    assert rules.highest_possible_balance(100, 40, 30) == 90


def test_overdraft_error_carries_the_numbers_and_shows_them_only_to_a_broker():
    error = errors.OverdraftLimitReached("Sam", -690, -600, member_id=7, amount=120)
    assert error.message == (
        "This exchange is more than Sam can receive right now. Please ask your broker."
    )
    assert error.told_to(8, broker=False).message == error.message
    assert error.told_to(8, broker=True).message == (
        "Sam's balance would fall to -11:30, below the -10:00 limit."
    )
    assert (error.would_be, error.limit, error.status) == (-690, -600, 409)
