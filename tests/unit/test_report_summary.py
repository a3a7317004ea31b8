"""The summary's changes in words, and picking figures from a report by their keys."""

from __future__ import annotations

import datetime as dt

import pytest

from timebank.errors import InvalidInput
from timebank.reports.period import Period
from timebank.reports.summary import (
    NOTHING_TO_COMPARE,
    Pick,
    change,
    picked,
    previous_period,
    summarise,
)
from timebank.reports.tables import SUPPRESSED, Column, Figure, Report, Section, Table


@pytest.mark.parametrize(
    ("now", "before", "kind", "direction", "words"),
    [
        (12, 9, "count", "up", "Up 3"),
        (9, 12, "people", "down", "Down 3"),
        (5, 5, "people", "same", "No change"),
        (210, 120, "minutes", "up", "Up 1 hour 30 minutes"),
        (4865, 2780, "pence", "up", "Up £20.85"),
        (75.0, 50.0, "percent", "up", "Up 25 percentage points"),
        (51.0, 50.0, "percent", "up", "Up 1 percentage point"),
        (None, 3, "count", "none", NOTHING_TO_COMPARE),
        (8.0, None, "days", "none", NOTHING_TO_COMPARE),
    ],
)
def test_a_change_is_said_in_plain_words(now, before, kind, direction, words):
    moved = change(now, before, kind, "broker")

    assert (moved.direction, moved.words) == (direction, words)


def test_funders_get_differences_of_exact_figures_but_never_of_protected_people():
    assert change(15, 10, "count", "funder").words == "Up 5"
    assert change(15, 10, "people", "funder").direction == "none"
    assert change(SUPPRESSED, 0, "people", "funder").direction == "none"
    assert change(0, 0, "people", "funder").words == "No change"
    # A practice's counts are its own and exact.
    assert change(3, 2, "people", "practice").words == "Up 1"


def test_a_period_of_whole_months_is_compared_with_as_many_months_before_and_others_by_days():
    quarter = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    days = Period(dt.date(2026, 3, 11), dt.date(2026, 3, 20))

    assert previous_period(quarter, "broker") == Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert previous_period(days, "broker") == Period(dt.date(2026, 3, 1), dt.date(2026, 3, 10))


def test_a_funder_period_that_is_not_a_calendar_one_has_no_comparison():
    with pytest.raises(InvalidInput):
        previous_period(Period(dt.date(2026, 2, 1), dt.date(2026, 3, 31)), "funder")


def report(exchanges: int, group_people: int, share: float | None = None) -> Report:
    figures = (Figure("exchanges", "Exchanges", exchanges),)
    if share is not None:
        figures += (Figure("mixing_share", "Share", share, "percent"),)
    columns = (Column("kind", "Kind", "text"), Column("people", "People", "people"))
    group = Table("group_activity", "Groups", "", columns,
                  (("Group sessions", group_people), ("One-to-one", 9)))  # fmt: skip
    return Report("Bank", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "broker",
                  (Section("a", "A", figures, (group,)),))  # fmt: skip


def test_figures_and_table_cells_are_picked_by_their_keys():
    found = report(3, 4)

    assert picked(found, Pick("", "exchanges")) == (3, "count")
    assert picked(found, Pick("", "group_activity", "Group sessions", "people")) == (4, "people")
    assert picked(found, Pick("", "group_activity", "No such row", "people")) is None
    assert picked(found, Pick("", "not_in_this_report")) is None


def test_a_figure_left_out_of_a_report_is_left_out_of_its_summary_and_may_have_a_stand_in():
    picks = (
        Pick("Exchanges", "exchanges"),
        Pick("Mixing share", "mixing_share"),
        Pick("Group people", "group_activity", "Group sessions", "people", unless="mixing_share"),
    )

    with_share = summarise(report(3, 4, 50.0), report(2, 4, 25.0), picks)
    without = summarise(report(3, 4), report(2, 4), picks)

    assert [line.label for line in with_share.lines] == ["Exchanges", "Mixing share"]
    assert [line.label for line in without.lines] == ["Exchanges", "Group people"]
    assert with_share.lines[1].change.words == "Up 25 percentage points"
    assert without.previous == Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
