"""The funder view's summary: the previous period is protected too, and no change gives away
a hidden or rounded count of people.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re

import pytest

from tests.factories import member_joined, record_help
from tests.functional.ledger_pages import signed_in
from tests.functional.test_web_reports import summary_line
from timebank.reports.build import build_report
from timebank.reports.period import Period, grid_periods
from timebank.reports.summary import (
    BANK_PICKS,
    HIDDEN_NOT_COMPARED,
    ROUNDED_NOT_COMPARED,
    build_summarised_report,
    change,
    picked,
    previous_period,
)
from timebank.reports.suppression import PEOPLE, possible_values, protect_count
from timebank.reports.tables import SUPPRESSED

LONG_AGO = dt.date(2024, 1, 1)
QUARTER = {"from": "2026-01-01", "to": "2026-03-31", "view": "funder"}


@pytest.fixture
def two_quarters(session, bank):
    """Last quarter of 2025: 3 members trade; first quarter of 2026: 12 members trade."""
    members = [member_joined(bank, f"Member {n}", LONG_AGO) for n in range(12)]
    record_help(session, members[0], members[1], 60, dt.date(2025, 11, 3))
    record_help(session, members[1], members[2], 60, dt.date(2025, 11, 4))
    for giver, receiver in zip(members[::2], members[1::2], strict=True):
        record_help(session, giver, receiver, 60, dt.date(2026, 2, 5))
    return members


def test_a_funder_summary_shows_rounded_and_hidden_counts_on_both_sides_and_no_difference(
    app, broker, two_quarters
):
    page = signed_in(app, broker).get("/reports", query_string=QUARTER)

    # 12 active (rounded to 10) against 3 (hidden); 12 members at both ends (10 and 10).
    assert summary_line(page, "Active members") == ("10", "1 to 7", HIDDEN_NOT_COMPARED)
    assert summary_line(page, "Members at the end of the period") == (
        "10", "10", ROUNDED_NOT_COMPARED,
    )  # fmt: skip
    # 6 people helped against 2: both hidden.
    assert summary_line(page, "People helped") == ("1 to 7", "1 to 7", HIDDEN_NOT_COMPARED)
    # Exchanges and hours are not people: exact, with their difference.
    assert summary_line(page, "Exchanges") == ("6", "2", "Up 4")
    assert summary_line(page, "Hours of help given") == ("6 hours", "2 hours", "Up 4 hours")


def test_the_printed_funder_summary_protects_the_previous_period_the_same_way(
    app, broker, two_quarters
):
    page = signed_in(app, broker).get("/reports/print", query_string=QUARTER)

    assert summary_line(page, "Active members") == ("10", "1 to 7", HIDDEN_NOT_COMPARED)
    assert "compare the two figures themselves" in page.get_data(as_text=True)


def test_the_previous_figures_are_the_previous_funder_reports_own(session, bank, two_quarters):
    found = build_summarised_report(session, bank.id, dt.date(2026, 1, 1),
                                    dt.date(2026, 3, 31), "funder")  # fmt: skip
    earlier = build_report(session, bank.id, dt.date(2025, 10, 1), dt.date(2025, 12, 31), "funder")

    assert found.summary.previous == Period(dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    for line in found.summary.lines:
        pick = next(p for p in BANK_PICKS if p.label == line.label)
        assert line.before == picked(earlier, pick)[0], line.label


@pytest.mark.parametrize(
    ("period", "before"),
    [
        (("2026-03-01", "2026-03-31"), ("2026-02-01", "2026-02-28")),
        (("2026-01-01", "2026-03-31"), ("2025-10-01", "2025-12-31")),
        (("2026-07-01", "2026-09-30"), ("2026-04-01", "2026-06-30")),
        (("2026-01-01", "2026-12-31"), ("2025-01-01", "2025-12-31")),
    ],
)
def test_a_funder_period_is_compared_with_the_fixed_period_of_its_kind_before_it(period, before):
    def days(pair):
        return Period(*(dt.date.fromisoformat(day) for day in pair))

    assert previous_period(days(period), "funder") == days(before)


def test_every_funder_period_of_two_years_is_compared_with_a_funder_period():
    for period in grid_periods(dt.date(2025, 1, 1), dt.date(2026, 12, 31)):
        earlier = previous_period(period, "funder")
        assert earlier.end == period.start - dt.timedelta(days=1)
        assert earlier in grid_periods(earlier.start, earlier.end)


# Every value the funder view can show for a count of people up to 40.
SHOWN = sorted({protect_count(n) for n in range(41)}, key=lambda v: -1 if v is SUPPRESSED else v)


@pytest.mark.parametrize(("now", "before"), list(itertools.product(SHOWN, repeat=2)))
def test_no_change_of_protected_counts_says_a_number_unless_both_are_zero(now, before):
    moved = change(now, before, PEOPLE, "funder")

    if now == 0 and before == 0:
        assert moved.words == "No change"
    else:
        assert moved.direction == "none"
        assert not re.search(r"\d", moved.words)


def test_on_random_banks_no_summary_change_narrows_a_protected_count(session, bank):
    """Play the reader: from the two shown counts and the change, the true pair's range."""
    rng = random.Random(15)
    members = [member_joined(bank, f"Member {n}", LONG_AGO) for n in range(30)]
    for _ in range(60):
        giver, receiver = rng.sample(members, 2)
        day = dt.date(2026, rng.randint(1, 6), rng.randint(1, 28))
        record_help(session, giver, receiver, rng.choice((30, 60, 90)), day)
    for month in range(2, 7):
        start = dt.date(2026, month, 1)
        end = (start + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        found = build_summarised_report(session, bank.id, start, end, "funder")
        for line in found.summary.lines:
            if line.kind != PEOPLE:
                continue
            # Every true pair the two shown values allow stays possible: the change adds
            # nothing, as it says no number unless both are exactly 0.
            pairs = len(possible_values(line.now)) * len(possible_values(line.before))
            assert pairs == 1 or not re.search(r"\d", line.change.words), line
