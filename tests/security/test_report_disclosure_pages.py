"""The funder view on the pages, the CSV and the API: fixed periods, one protection, no gaps."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from tests.factories import MemberFactory, member_joined
from tests.functional.ledger_pages import give, signed_in, text_of
from tests.functional.test_web_reports import figure, refer
from timebank.errors import InvalidInput
from timebank.membership.tokens import create_token
from timebank.reports.build import build_report
from timebank.reports.period import Period, funder_period, grid_periods, preset
from timebank.reports.suppression import PEOPLE

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
# The example: two funder reports that overlap in part.
SEP_TO_NOV = {"from": "2025-09-01", "to": "2025-11-30"}
GRID_REFUSED = "covers a whole calendar month, a calendar quarter"


@pytest.fixture
def as_broker(app, broker):
    """Return a client with the bank's broker signed in."""
    return signed_in(app, broker)


@pytest.fixture
def busy_march(bank):
    """Twelve members trade in pairs in March 2026: 12 active members, 6 exchanges."""
    members = [MemberFactory(bank=bank, display_name=f"Member {n}") for n in range(12)]
    for giver, receiver in zip(members[::2], members[1::2], strict=True):
        give(giver, receiver, 60, by=receiver, happened_on=dt.date(2026, 3, 5))
    return members


def test_a_funder_report_of_days_that_overlap_another_in_part_is_refused_in_words(
    as_broker, client, session, bank, broker
):
    token = create_token(session, bank.id, broker.id, "Reports")[1]
    funder = SEP_TO_NOV | {"view": "funder"}

    page = as_broker.get("/reports", query_string=funder)
    csv = as_broker.get("/reports/exchanges_by_month.csv", query_string=funder)
    printable = as_broker.get("/reports/print", query_string=SEP_TO_NOV)
    api = client.get(
        "/api/v1/reports?from=2025-09-01&to=2025-11-30&view=funder",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert page.status_code == 400 and GRID_REFUSED in text_of(page)
    assert csv.status_code == 400 and GRID_REFUSED in csv.get_data(as_text=True)
    assert printable.status_code == 400 and GRID_REFUSED in text_of(printable)
    assert api.status_code == 422 and GRID_REFUSED in api.get_data(as_text=True)


def test_brokers_still_see_any_days_exactly_and_are_told_which_periods_print(as_broker, busy_march):
    page = as_broker.get("/reports", query_string={"from": "2026-03-02", "to": "2026-03-31"})
    text = text_of(page)

    assert page.status_code == 200
    assert figure(text, "Active members") == "12"
    # Only the staff's own exact printout: the funder printout covers fixed periods.
    prints = re.findall(r'href="(/reports/print[^"]*)"', page.get_data(as_text=True))
    assert prints and all("view=broker" in link for link in prints)
    assert "covers a calendar month, quarter or year" in text


def test_the_funder_view_with_no_dates_is_the_last_whole_quarter(as_broker, bank):
    page = as_broker.get("/reports", query_string={"view": "funder"})

    expected = preset("last_quarter", dt.date.today())
    assert page.status_code == 200
    assert f"{expected.start.day} {expected.start:%B %Y}" in text_of(page)
    assert 'id="period-last_quarter" name="period" value="last_quarter" checked' in (
        page.get_data(as_text=True)
    )


@pytest.mark.parametrize(
    "today, name, start, end",
    [
        (dt.date(2026, 2, 15), "last_quarter", dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
        (dt.date(2026, 2, 15), "this_quarter", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 1), "last_quarter", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 12, 31), "this_quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ],
)
def test_quarter_presets_are_whole_calendar_quarters(today, name, start, end):
    assert preset(name, today) == Period(start, end)
    assert funder_period(Period(start, end)) == Period(start, end)


def test_the_page_the_csv_and_the_api_protect_the_same_counts_the_same_way(
    as_broker, client, session, bank, broker, busy_march
):
    token = create_token(session, bank.id, broker.id, "Reports")[1]
    funder = MARCH | {"view": "funder"}

    page = text_of(as_broker.get("/reports", query_string=funder))
    csv = as_broker.get("/reports/active_by_month.csv", query_string=funder)
    api = client.get(
        "/api/v1/reports?from=2026-03-01&to=2026-03-31&view=funder",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    api_figures = {f["key"]: f["value"] for s in api["sections"] for f in s["figures"]}

    # 12 active members: rounded to 10 everywhere; 6 exchanges and 6 hours exact everywhere.
    assert figure(page, "Active members") == "10" and api_figures["active_members"] == 10
    assert csv.get_data(as_text=True).splitlines()[1] == "2026-03,10"
    assert figure(page, "Exchanges") == "6" and api_figures["exchanges"] == 6
    assert (
        figure(page, "Hours of help given") == "6 hours" and api_figures["hours_exchanged"] == 360
    )
    assert "fewer than" not in page


def test_a_hidden_count_on_a_funder_chart_is_marked_in_words_not_left_as_a_gap(
    as_broker, bank, busy_march
):
    first, second = (MemberFactory(bank=bank, display_name=n) for n in ("Ann", "Bob"))
    give(first, second, 60, by=second, happened_on=dt.date(2026, 2, 10))
    quarter = {"from": "2026-01-01", "to": "2026-03-31", "view": "funder"}

    html = as_broker.get("/reports", query_string=quarter).get_data(as_text=True)

    # Active members: none in January, 2 in February (hidden), 14 in March (15).
    assert 'class="chart-hidden"' in html
    assert "Dashed boxes: hidden, 1 to 7 people (February 2026)." in html


def test_a_practices_report_shows_its_own_few_referrals_exactly(
    session, bank, admin, practice, app
):
    refer(session, bank, practice, 3, dt.date(2026, 3, 9), first=0)

    page = signed_in(app, admin).get(f"/reports/practices/{practice.id}", query_string=MARCH)
    text = text_of(page)

    assert page.status_code == 200
    assert "Referred 3" in text and "1 to 7" not in text.split("How these figures")[0]
    assert "every count is exact" in text


def test_every_count_of_people_declares_itself_and_counts_of_exchanges_do_not(session, bank):
    report = build_report(session, bank.id, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    kinds = {f.key: f.kind for s in report.sections for f in s.figures}
    columns = {(t.key, c.key): c.kind for s in report.sections for t in s.tables for c in t.columns}

    for key in ("active_members", "new_members", "left_members", "gave_and_received",
                "flagged", "contacted", "re_engaged"):  # fmt: skip
        assert kinds[key] == PEOPLE, key
    for key in ("exchanges", "new_connections", "cross_area_exchanges", "requests_posted"):
        assert kinds[key] == "count", key
    assert kinds["hours_exchanged"] == "minutes" and kinds["estimated_value"] == "pence"
    assert columns[("referral_funnel", "people")] == PEOPLE
    assert columns[("referrals_by_practice", "referred")] == PEOPLE
    assert columns[("active_by_month", "active")] == PEOPLE
    assert columns[("retention", "joined")] == PEOPLE
    assert columns[("partners_distribution", "members")] == PEOPLE
    assert columns[("exchanges_by_month", "exchanges")] == "count"


@pytest.mark.parametrize(
    "start, end",
    [
        (dt.date(2025, 9, 1), dt.date(2025, 11, 30)),  # three months, not a quarter
        (dt.date(2025, 9, 2), dt.date(2025, 9, 30)),
        (dt.date(2025, 9, 1), dt.date(2025, 9, 29)),
        (dt.date(2025, 4, 1), dt.date(2026, 3, 31)),  # a financial year overlaps two calendar years
        (dt.date(2025, 1, 1), dt.date(2025, 6, 30)),
        (dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
    ],
)
def test_a_funder_period_off_the_calendar_grid_is_refused(start, end):
    with pytest.raises(InvalidInput, match="calendar month, a calendar quarter"):
        funder_period(Period(start, end))


def test_months_quarters_and_years_are_funder_periods_and_never_overlap_in_part():
    grid = grid_periods(dt.date(2024, 1, 1), dt.date(2026, 12, 31))

    assert len(grid) == 36 + 12 + 3
    for period in grid:
        assert funder_period(period) == period
    for one, other in itertools.combinations(grid, 2):
        apart = one.end < other.start or other.end < one.start
        nested = (one.start <= other.start and other.end <= one.end) or (
            other.start <= one.start and one.end <= other.end
        )
        assert apart or nested, (one, other)


def test_members_staying_on_is_one_row_for_funders_so_its_months_cannot_be_taken_apart(
    session, bank
):
    for n, day in enumerate([dt.date(2026, 1, 5)] * 3 + [dt.date(2026, 2, 9)] * 6):
        member_joined(bank, f"Joiner {n}", day)
    quarter = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))

    staff = build_report(session, bank.id, *quarter)
    funder = build_report(session, bank.id, *quarter, "funder")

    # By month, 3, 6 and 0 joined: the months would add up to the 9 new members beside them.
    assert [row[:2] for row in staff.table("retention").rows] == [
        (dt.date(2026, 1, 1), 3), (dt.date(2026, 2, 1), 6), (dt.date(2026, 3, 1), 0),
    ]  # fmt: skip
    assert funder.table("retention").rows == (("The whole period", 10, None, None, None),)
    assert funder.table("retention").columns[0].label == "Joined in"
    new = [f.value for s in funder.sections for f in s.figures if f.key == "new_members"]
    assert new == [10]
