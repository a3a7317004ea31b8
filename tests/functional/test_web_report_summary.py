"""The summary a report opens with: each figure beside the previous period's, worked by hand.

The ledger below is small enough to count on fingers. The period is March 2026; the
previous period is February 2026 (a month's is the month before).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from tests.factories import member_joined, noon_on, record_help
from tests.functional.ledger_pages import signed_in, text_of
from tests.functional.test_web_reports import DETAILS, refer, summary_line
from timebank.ledger.services import GroupExchangeRequest, record_group_exchange
from timebank.referrals import partners
from timebank.referrals.models import Referral

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
LONG_AGO = dt.date(2024, 1, 1)


def referred_and_joined(session, bank, partner, member, referred: dt.date, joined: dt.date):
    """Add a partner's referral of `member`, made on `referred`, who joined on `joined`."""
    session.add(
        Referral(
            bank_id=bank.id,
            partner_id=partner.id,
            patient_e164=f"+4477009{uuid.uuid4().int % 100000:05d}",
            first_name="Pat",
            status="joined",
            member_id=member.id,
            created_at=noon_on(referred)(),
            updated_at=noon_on(joined)(),
            joined_at=noon_on(joined)(),
        )
    )
    session.commit()


@pytest.fixture
def ledger(session, bank, admin, practice):
    """February and March by hand; each line says what it adds to the figures."""
    dee = member_joined(bank, "Dee Broker", LONG_AGO, role="broker")  # staff: never counted
    lou, ann, bob, cy = (member_joined(bank, n, LONG_AGO) for n in ("Lou", "Ann", "Bob", "Cy"))
    rita = member_joined(bank, "Rita Referred", dt.date(2026, 3, 3))
    ray = member_joined(bank, "Ray Referred", dt.date(2026, 3, 5))  # never trades
    downham = partners.add_partner(session, bank.id, admin.id, "Downham Surgery")
    # February: the practice refers two people who have not joined; two exchanges.
    refer(session, bank, practice, 2, dt.date(2026, 2, 16), first=0)
    record_help(session, ann, bob, 60, dt.date(2026, 2, 10))
    record_help(session, cy, lou, 60, dt.date(2026, 2, 11))
    # March: the practice refers Rita and Ray, who join, and one more; Downham refers one.
    referred_and_joined(session, bank, practice, rita, dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    referred_and_joined(session, bank, practice, ray, dt.date(2026, 3, 4), dt.date(2026, 3, 5))
    refer(session, bank, practice, 1, dt.date(2026, 3, 20), first=10)
    refer(session, bank, downham, 1, dt.date(2026, 3, 21), first=20)
    # 1. Lou's 2-hour lunch club for Ann, Bob and Rita: one group session of 2 hours.
    record_group_exchange(
        session,
        GroupExchangeRequest(
            group_id=uuid.uuid4(),
            bank_id=bank.id,
            giver_ids=[lou.id],
            receiver_ids=[ann.id, bob.id, rita.id],
            minutes=120,
            recorded_by_id=dee.id,
            happened_on=dt.date(2026, 3, 10),
            skill_category="Company",
        ),
        now=noon_on(dt.date(2026, 3, 10)),
    )
    # 2. Rita helps Ann for an hour. 3. Bob helps Cy for half an hour.
    record_help(session, rita, ann, 60, dt.date(2026, 3, 12))
    record_help(session, bob, cy, 30, dt.date(2026, 3, 20))
    return {"bank": bank, "ray": ray}


# (label, March, February, change) worked out by hand from the ledger above.
BROKER_LINES = [
    # Lou, Ann, Bob, Cy, Rita and Ray; in February, before Rita and Ray joined, four.
    ("Members at the end of the period", "6", "4", "Up 2"),
    ("New members", "2", "0", "Up 2"),
    # Traded in the 90 days to the end: February's four, and Rita in March.
    ("Active members", "5", "4", "Up 1"),
    # March: Ann, Bob, Rita (the lunch), Cy. February: Bob, Lou.
    ("People helped", "4", "2", "Up 2"),
    ("Exchanges", "3", "2", "Up 1"),
    # 120 + 60 + 30 minutes against 60 + 60.
    ("Hours of help given", "3 hours 30 minutes", "2 hours", "Up 1 hour 30 minutes"),
    # 3.5 hours and 2 hours at GBP 13.90.
    ("Estimated value of the help given", "£48.65", "£27.80", "Up £20.85"),
    ("Group sessions", "1", "0", "Up 1"),
    ("People taking part in group sessions", "4", "0", "Up 4"),
    ("Hours of help in group sessions", "2 hours", "0 minutes", "Up 2 hours"),
    # The practice's three and Downham's one; the practice's two in February.
    ("People referred", "4", "2", "Up 2"),
    ("Referred people who joined", "2", "0", "Up 2"),
    ("Referred people who made a first exchange", "1", "0", "Up 1"),
    # Lou-Ann, Lou-Bob, Lou-Rita, Rita-Ann, Bob-Cy; Ann-Bob and Cy-Lou in February.
    ("New connections (pairs of members)", "5", "2", "Up 3"),
    # Lou-Rita and Rita-Ann: both with members not referred. None in February.
    ("Mixing: share of referred members' pairs made with others", "100%", "not yet",
     "No figure to compare"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "now", "before", "moved"), BROKER_LINES)
def test_the_summary_shows_each_figure_beside_the_previous_periods(
    app, ledger, broker, label, now, before, moved
):
    page = signed_in(app, broker).get("/reports", query_string=MARCH)

    assert summary_line(page, label) == (now, before, moved)


def test_the_summary_says_which_period_it_compares_with_and_comes_before_the_details(
    app, ledger, broker
):
    page = signed_in(app, broker).get("/reports", query_string=MARCH)
    text = text_of(page)

    assert "Each figure beside the previous period’s: 1 February 2026 to 28 February 2026." in text
    assert text.index("Summary") < text.index(DETAILS)
    assert "The estimated value counts each hour of help at £13.90" in text


def test_the_summary_is_above_the_period_form_on_the_page(app, ledger, broker):
    html = signed_in(app, broker).get("/reports", query_string=MARCH).get_data(as_text=True)

    assert html.index('class="report-summary"') < html.index('id="period-form"')
    # A keyboard user can jump straight to the form from the top of the report.
    assert html.index('href="#period-form"') < html.index('class="report-summary"')


def test_each_summary_figure_links_to_its_definition(app, ledger, broker):
    client = signed_in(app, broker)
    html = client.get("/reports", query_string=MARCH).get_data(as_text=True)
    definitions = client.get("/reports/definitions").get_data(as_text=True)

    summary = html.split('class="report-summary"', 1)[1].split("</table>", 1)[0]
    anchors = re.findall(r'href="/reports/definitions#([a-z0-9_]+)"', summary)
    assert len(anchors) == len(BROKER_LINES)
    assert {"members_at_end", "group_activity", "referred", "mixing_share"} <= set(anchors)
    assert all(f'id="{anchor}"' in definitions for anchor in anchors)


def test_a_period_of_days_is_compared_with_as_many_days_before_it(app, ledger, broker):
    # 11 to 20 March: ten days, so the ten days before, 1 to 10 March.
    days = {"from": "2026-03-11", "to": "2026-03-20"}
    page = signed_in(app, broker).get("/reports", query_string=days)

    assert "previous period’s: 1 March 2026 to 10 March 2026." in text_of(page)
    # Rita's hour for Ann and Bob's half hour, against the lunch club's two hours.
    assert summary_line(page, "Hours of help given") == (
        "1 hour 30 minutes",
        "2 hours",
        "Down 30 minutes",
    )


def test_the_staff_printout_opens_with_the_same_summary(app, ledger, broker):
    page = signed_in(app, broker).get("/reports/print", query_string=MARCH | {"view": "broker"})
    text = text_of(page)

    assert page.status_code == 200
    assert "For the time bank’s own use: every count is exact." in text
    assert summary_line(page, "Members at the end of the period") == ("6", "4", "Up 2")
    assert summary_line(page, "People referred") == ("4", "2", "Up 2")
    # The printout's details do not repeat the summary's figures.
    details = text.split("not repeated here", 1)[1]
    assert "Members at the end of the period" not in details.split("What the figures count")[0]


# Rita and Ray were referred and joined in March, and one more person was referred.
PRACTICE_LINES = [
    ("People referred", "3", "2", "Up 1"),
    ("Said yes to hearing from the time bank", "2", "0", "Up 2"),
    ("Joined", "2", "0", "Up 2"),
    ("Made a first exchange", "1", "0", "Up 1"),
    # Joined in March: three months on is after the end of the period.
    ("Active 3 months after joining", "not yet", "not yet", "No figure to compare"),
    # Referred on 2 March, first exchange (the lunch club) on 10 March.
    ("Days from referral to first exchange (middle value)", "8 days", "not yet",
     "No figure to compare"),
]  # fmt: skip


def test_a_practices_report_shows_its_own_figures_exactly_beside_the_previous_period(
    app, ledger, admin, practice
):
    page = signed_in(app, admin).get(f"/reports/practices/{practice.id}", query_string=MARCH)
    text = text_of(page)

    assert page.status_code == 200
    for label, now, before, moved in PRACTICE_LINES:
        assert summary_line(page, label) == (now, before, moved), label
    assert "Downham" not in text and "1 to 7" not in text


def test_a_change_is_said_in_words_with_an_arrow_beside_it_not_by_colour(app, ledger, broker):
    html = signed_in(app, broker).get("/reports", query_string=MARCH).get_data(as_text=True)

    assert '<span aria-hidden="true">▲ </span>Up 2' in html
    assert '<span aria-hidden="true">= </span>No change' not in html  # nothing stayed level
    assert "Down" not in html.split('class="report-summary"', 1)[1].split("</table>", 1)[0]
