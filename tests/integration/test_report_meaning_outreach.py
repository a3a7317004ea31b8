"""The "unanswered offer" flag never calls about a member who has traded recently.

Recently: within the bank's `dormant_after_days` (60 unless the bank says otherwise), the
same window after which a member counts as inactive.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from tests.factories import member_joined, noon_on
from timebank.broker.dormancy import DormancySettings, MemberActivity, flags_for
from timebank.broker.outreach import settings_for
from timebank.broker.scan import scan_dormant
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.offers.services import ListingDraft, post_listing

TODAY = dt.date(2025, 6, 30)
LONG_AGO = dt.date(2024, 1, 1)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


BUSY = MemberActivity(
    member_id=7,
    first_name="Joyce",
    status="active",
    do_not_contact=False,
    joined_on=ago(400),
    referred_on=None,
    first_exchange_on=ago(380),
    last_exchange_on=ago(5),
    last_given_on=ago(5),
    last_received_on=ago(20),
    given_since_joined=10,
    received_since_joined=10,
    balance_minutes=0,
    overdraft_minutes=-600,
    open_offers=1,
    oldest_unanswered_offer_on=ago(90),
    exchanges_last_window=5,
    exchanges_before_window=20,
    days_before_window=360,
)


DEFAULTS = DormancySettings()


def rules(activity: MemberActivity, settings: DormancySettings = DEFAULTS) -> list[str]:
    return [flag.rule for flag in flags_for(activity, TODAY, settings)]


def test_a_busy_trader_whose_offer_nobody_asked_for_is_not_flagged():
    assert rules(BUSY) == []


def test_the_window_is_the_banks_inactive_days_to_the_day():
    settings = DormancySettings(inactive_days=60)
    # Traded 59 days ago: recently. 60 days ago: inactive, and the offer adds its reason.
    assert rules(dataclasses.replace(BUSY, last_exchange_on=ago(59)), settings) == []
    assert rules(dataclasses.replace(BUSY, last_exchange_on=ago(60)), settings) == [
        "inactive",
        "unanswered_offers",
    ]


def test_a_member_who_never_traded_is_still_told_their_offer_waits():
    never = dataclasses.replace(
        BUSY, first_exchange_on=None, last_exchange_on=None, last_given_on=None,
        last_received_on=None, given_since_joined=0, received_since_joined=0,
    )  # fmt: skip
    assert "unanswered_offers" in rules(never)


def _traded(session, bank, giver, receiver, day):
    request = ExchangeRequest(
        uuid.uuid4(), bank.id, giver.id, receiver.id, 60, receiver.id, happened_on=day
    )
    record_exchange(session, request, now=noon_on(day))


def test_the_scan_follows_the_banks_own_dormancy_setting(session, bank):
    bank.dormant_after_days = 120
    session.commit()
    olive = member_joined(bank, "Olive Offer", LONG_AGO)
    hal = member_joined(bank, "Hal Helper", LONG_AGO)
    draft = ListingDraft("offer", "Gardening", "Weeding and pruning")
    post_listing(session, bank.id, olive.id, draft, now=noon_on(ago(100)))
    # Olive last traded 90 days ago: within this bank's 120 days, so no call about her offer.
    _traded(session, bank, olive, hal, ago(90))

    flagged = {
        (flag.member_id, flag.rule)
        for flag in scan_dormant(session, bank.id, TODAY, settings_for(bank))
    }
    assert (olive.id, "unanswered_offers") not in flagged
