"""History and the monthly statement: filters, pages, and totals worked out by hand."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import MemberFactory
from tests.functional.ledger_pages import give, one_h1, signed_in, text_of
from timebank.ledger.resolutions import confirm_pending, decline_pending, reverse_transfer


@pytest.fixture
def ann(bank):
    return MemberFactory(bank=bank, display_name="Ann Archer")


SEP_20, OCT_3, OCT_17, OCT_30, NOV_2 = (
    dt.date(2026, 9, 20),
    dt.date(2026, 10, 3),
    dt.date(2026, 10, 17),
    dt.date(2026, 10, 30),
    dt.date(2026, 11, 2),
)


@pytest.fixture
def autumn(session, bank, broker, joyce, sam, ann):
    """Joyce's exchanges over three months, with one of each state."""
    give(joyce, sam, 120, by=sam, happened_on=SEP_20, description="Sep: gave 2:00")
    give(sam, joyce, 90, by=joyce, happened_on=OCT_3, description="Oct: received 1:30")
    given = give(joyce, ann, 60, happened_on=OCT_17, description="Oct: gave 1:00, confirmed 0:45")
    confirm_pending(session, bank.id, given.id, uuid.uuid4(), ann.id, minutes=45)
    declined = give(joyce, sam, 30, happened_on=OCT_17, description="Oct: declined")
    decline_pending(session, bank.id, declined.id, uuid.uuid4(), sam.id)
    give(joyce, ann, 180, happened_on=OCT_30, description="Oct: waiting 3:00")
    give(ann, joyce, 15, by=joyce, happened_on=NOV_2, description="Nov: received 0:15")


def test_history_lists_my_exchanges_newest_first(autumn, as_joyce):
    response = as_joyce.get("/history")
    text = text_of(response)
    assert one_h1(response) == "Your exchanges"
    assert "6 exchanges" in text
    dates = ["2 November 2026", "30 October 2026", "17 October 2026", "3 October 2026"]
    positions = [text.index(day) for day in dates]
    assert positions == sorted(positions)
    assert text.index("3 October 2026") < text.index("20 September 2026")


def test_history_filters_by_month(autumn, as_joyce):
    text = text_of(as_joyce.get("/history?month=2026-10"))
    assert "4 exchanges match what you chose" in text
    assert "20 September 2026" not in text and "2 November 2026" not in text


def test_history_filters_by_direction(autumn, as_joyce):
    given = text_of(as_joyce.get("/history?direction=given"))
    assert "4 exchanges match" in given and "helped you" not in given.split("Newest first")[1]
    received = text_of(as_joyce.get("/history?direction=received"))
    assert "2 exchanges match" in received


def test_history_filters_by_state(autumn, as_joyce):
    assert "1 exchange matches" in text_of(as_joyce.get("/history?state=waiting"))
    declined = text_of(as_joyce.get("/history?state=declined"))
    assert "1 exchange matches" in declined and "Declined" in declined
    confirmed = text_of(as_joyce.get("/history?state=confirmed"))
    assert "4 exchanges match" in confirmed
    assert "(confirmed 45 minutes of 1 hour)" in confirmed


def test_history_filters_by_the_other_member(autumn, as_joyce, ann):
    text = text_of(as_joyce.get(f"/history?other={ann.id}"))
    assert "3 exchanges match" in text and "Sam Green helped" not in text


def test_history_is_paged(session, bank, joyce, sam, as_joyce):
    for day in range(1, 26):
        give(joyce, sam, 15, by=sam, happened_on=dt.date(2026, 10, day))
    first = text_of(as_joyce.get("/history"))
    assert "Page 1 of 2" in first and "25 October 2026" in first and " 5 October 2026" not in first
    second = as_joyce.get("/history?page=2")
    assert "Page 2 of 2" in text_of(second) and " 5 October 2026" in text_of(second)
    assert "page=1" in second.get_data(as_text=True)


def test_history_shows_only_my_own_exchanges(autumn, app, sam, ann):
    text = text_of(signed_in(app, ann).get("/history"))
    assert "3 exchanges" in text and "Sam Green" not in text


def test_statement_totals_match_a_hand_worked_month(autumn, as_joyce):
    # Opening: September's 2:00 given. October: gave 0:45 (confirmed of 1:00), received 1:30;
    # the declined 0:30 and the waiting 3:00 moved nothing. Closing: 2:00 + 0:45 - 1:30 = 1:15.
    response = as_joyce.get("/history/statement?month=2026-10")
    text = text_of(response)
    assert one_h1(response) == "Statement for October 2026"
    assert "Balance at the start of October 2026 2:00" in text
    assert "Hours you gave 0:45" in text
    assert "Hours you received 1:30" in text
    assert "Balance at the end of October 2026 1:15" in text
    assert "17 October 2026" in text and "30 October 2026" not in text
    assert text.index("3 October 2026") < text.index("17 October 2026")


def test_statement_counts_corrections_apart_from_help_given(
    session, bank, broker, joyce, sam, as_joyce
):
    posted = give(joyce, sam, 60, by=sam, happened_on=dt.date(2026, 10, 5))
    reverse_transfer(session, bank.id, posted.id, uuid.uuid4(), broker.id, "Logged twice")
    today_month = dt.date.today().strftime("%Y-%m")
    text = text_of(as_joyce.get(f"/history/statement?month={today_month}"))
    assert "Correction" in text
    assert "Donations, grants and corrections -1:00" in text


def test_statement_for_a_month_with_nothing_says_so(autumn, as_joyce):
    text = text_of(as_joyce.get("/history/statement?month=2026-08"))
    assert "You had no confirmed exchanges in August 2026, so your balance did not change." in text
    assert "Balance at the start of August 2026 0:00" in text


def test_statement_of_a_month_that_is_not_a_month_is_not_found(as_joyce):
    assert as_joyce.get("/history/statement?month=2026-13").status_code == 404
    assert as_joyce.get("/history/statement?month=soon").status_code == 404


def test_statement_of_this_month_closes_on_the_current_balance(autumn, as_joyce):
    text = text_of(as_joyce.get("/history/statement?month=2026-11"))
    # 1:15 at the end of October, then 0:15 received on 2 November.
    assert "Balance at the end of November 2026 1:00" in text
