"""What goes on paper: fewer tables, one chart, long lists cut, each definition said once."""

from __future__ import annotations

import datetime as dt

from timebank.reports.definitions import DEFINITIONS, HELP_GIVEN, STAFF
from timebank.reports.printout import MOST_ROWS, SummaryNote, printout
from timebank.reports.tables import Column, Figure, Report, Section, Table


def table(key: str, rows: int = 2, chart: str | None = "bars") -> Table:
    columns = (Column("name", "Name", "text"), Column("count", "Count"))
    return Table(key, key.replace("_", " ").title(), DEFINITIONS.get(key, ""), columns,
                 tuple((f"Row {n}", n) for n in range(rows)), chart=chart)  # fmt: skip


def report(audience: str = "broker") -> Report:
    exchanges = Section(
        "exchanges",
        "Hours of help and exchanges",
        (Figure("exchanges", "Exchanges", 3), Figure("hours_credited", "Hours credited", 90)),
        (table("exchanges_by_month"), table("exchanges_by_category", rows=11),
         table("group_activity", chart=None)),
    )  # fmt: skip
    members = Section("members", "Members", (Figure("people_helped", "People helped", 2),),
                      (table("active_by_month", chart="line"),))  # fmt: skip
    referral_tables = (table("referrals_by_practice", chart=None), table("referral_funnel"))
    referrals = Section("referrals", "Referrals", (), referral_tables)
    return Report("Bank", dt.date(2026, 1, 1), dt.date(2026, 3, 31), audience,
                  (exchanges, members, referrals), dict(DEFINITIONS))  # fmt: skip


def printed_tables(found) -> dict[str, Table]:
    return {t.key: t for s in found.report.sections for t in s.tables}


def test_long_tables_stay_on_screen_and_the_printout_names_them():
    found = printout(report())

    assert "active_by_month" not in printed_tables(found)
    assert found.on_screen_only == (("active_by_month", "Active By Month"),)
    # The members section keeps its figure though its table is left off.
    assert [s.key for s in found.report.sections] == ["exchanges", "members", "referrals"]


def test_only_the_months_chart_is_printed_for_the_bank_and_only_the_funnel_for_a_practice():
    bank = printed_tables(printout(report()))
    practice = printed_tables(printout(report("practice")))

    assert bank["exchanges_by_month"].chart == "bars" and bank["referral_funnel"].chart is None
    assert practice["referral_funnel"].chart == "bars"
    assert practice["exchanges_by_month"].chart is None


def test_kinds_of_help_are_cut_to_the_largest_saying_how_many_more():
    found = printout(report())

    assert len(printed_tables(found)["exchanges_by_category"].rows) == MOST_ROWS
    assert found.cut == {"exchanges_by_category": 11 - MOST_ROWS}
    assert len(printed_tables(found)["exchanges_by_month"].rows) == 2


def test_a_practices_own_row_is_its_summary_so_it_is_not_printed_twice():
    assert "referrals_by_practice" not in printed_tables(printout(report("practice")))
    assert "referrals_by_practice" in printed_tables(printout(report()))


def test_figures_on_the_summary_are_not_repeated_and_their_notes_come_first():
    summary = (SummaryNote("people_helped", "people_helped", "People helped"),)
    found = printout(report(), summary)

    figures = [f.key for s in found.report.sections for f in s.figures]
    assert "people_helped" not in figures and "exchanges" in figures
    assert found.notes[0][0] == "People helped"


def test_shared_sentences_are_said_once_before_the_notes():
    found = printout(report())

    assert HELP_GIVEN in found.shared and STAFF in found.shared
    assert all(HELP_GIVEN not in words and STAFF not in words for _label, words in found.notes)
    labels = [label for label, _words in found.notes]
    assert labels.count("Exchanges") == 1 and "Group Activity" in labels
