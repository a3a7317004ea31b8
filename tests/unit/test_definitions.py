"""The definitions every package shares: role order, aware UTC, first name, trade, open request."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from timebank.clock import as_utc
from timebank.ledger.models import TRANSFER_CODES, TRANSFER_PHASES, is_trade
from timebank.members.models import (
    ROLES,
    Member,
    first_name_of,
    role_includes,
    roles_from,
    roles_up_to,
)
from timebank.offers.models import Listing


def test_each_role_includes_itself_and_every_role_below_it():
    assert [r for r in ROLES if role_includes("admin", r)] == ["member", "broker", "admin"]
    assert [r for r in ROLES if role_includes("broker", r)] == ["member", "broker"]
    assert [r for r in ROLES if role_includes("member", r)] == ["member"]


def test_roles_up_to_and_from_a_role_split_the_order_around_it():
    assert roles_up_to("broker") == ("member", "broker")
    assert roles_from("broker") == ("broker", "admin")
    assert roles_up_to("member") == ("member",) and roles_from("admin") == ("admin",)


def test_a_member_has_a_role_as_the_role_order_says():
    broker = Member(display_name="Bea Broker", role="broker")
    assert broker.has_role("member") and broker.has_role("broker")
    assert not broker.has_role("admin")


def test_an_unknown_role_is_refused_rather_than_ranked():
    with pytest.raises(ValueError):
        role_includes("practice", "member")


def test_a_time_without_a_zone_is_taken_as_utc():
    naive = dt.datetime(2026, 3, 29, 0, 30)
    assert as_utc(naive) == dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)
    assert as_utc(naive).tzinfo is dt.UTC


def test_a_time_in_another_zone_becomes_the_same_moment_in_utc():
    london = dt.datetime(2026, 7, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    moved = as_utc(london)
    assert moved == london and moved.tzinfo is dt.UTC and moved.hour == 8


def test_an_aware_utc_time_is_kept_as_it_is():
    stamp = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert as_utc(stamp) == stamp and as_utc(stamp).tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("display_name", "first"),
    [
        ("Jane Doe", "Jane"),
        ("  Mary Ann  Smith ", "Mary"),
        ("Cher", "Cher"),
        ("", ""),
        ("  ", "  "),
    ],
)
def test_a_first_name_is_the_first_word_of_the_display_name(display_name, first):
    assert first_name_of(display_name) == first
    assert Member(display_name=display_name).first_name == first


def test_a_trade_is_an_exchange_or_group_exchange_whose_hours_moved():
    trades = {(c, p) for c in TRANSFER_CODES for p in TRANSFER_PHASES if is_trade(c, p)}
    assert trades == {
        ("exchange", "posted"),
        ("exchange", "post_pending"),
        ("group", "posted"),
        ("group", "post_pending"),
    }


@pytest.mark.parametrize(
    ("kind", "status", "matched", "open_for_matching"),
    [
        ("request", "open", False, True),
        ("request", "open", True, False),
        ("request", "closed", False, False),
        ("offer", "open", False, False),
    ],
)
def test_a_request_is_open_for_matching_while_open_and_unmatched(
    kind, status, matched, open_for_matching
):
    stamp = dt.datetime(2026, 5, 1, tzinfo=dt.UTC) if matched else None
    listing = Listing(kind=kind, status=status, matched_at=stamp)
    assert listing.open_for_matching is open_for_matching
