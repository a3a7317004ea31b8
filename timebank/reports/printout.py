"""What a printed report holds, so that a quarter fits on four A4 pages (a practice's on one).

The summary comes first (`timebank.reports.summary`); then every section's headline figures,
the tables a funder reads most, and two charts; then what each printed figure counts, as
short notes. Long tables stay on the report page and in the CSV files, and the printout
names them so nobody wonders where they went.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from timebank.reports.definitions import COUNTED, HELP_GIVEN, STAFF
from timebank.reports.tables import Report, Section, Table

# Tables printed, in the order of their sections.
PRINTED_TABLES = frozenset(
    {
        "exchanges_by_month",
        "exchanges_by_category",
        "group_activity",
        "retention",
        "referrals_by_practice",
        "referral_funnel",
    }
)
# Of those, the one printed with its chart, beside its table: the months at a glance, or
# for a practice how far the people it referred got. The rest are printed as tables only:
# at the size a third chart would leave, its words would be too small to read.
PRINTED_CHARTS = {"broker": "exchanges_by_month", "funder": "exchanges_by_month",
                  "practice": "referral_funnel"}  # fmt: skip


@dataclass(frozen=True)
class SummaryNote:
    """A summary figure as the printout needs it: its key, its definition and its label."""

    key: str
    definition: str
    label: str


# Tables listed with the largest first (kinds of help, most hours first) are cut to their
# first rows on paper, saying how many more there are. Tables by month are never cut.
CUT_SHORT = frozenset({"exchanges_by_category"})
MOST_ROWS = 8
# Sentences that many definitions end with: on paper each is said once, before the notes.
SHARED = (COUNTED, HELP_GIVEN, STAFF)


@dataclass(frozen=True)
class Printout:
    """A report as printed, the tables left on screen, and the notes."""

    report: Report
    # (key, title) of each table left off the paper, for its CSV link and to name it.
    on_screen_only: tuple[tuple[str, str], ...]
    # (label, definition) for each figure and table printed, each definition once, without
    # the shared sentences, which are in `shared` (those any printed definition uses).
    notes: tuple[tuple[str, str], ...]
    shared: tuple[str, ...]
    # How many rows each table cut short on paper left off.
    cut: dict[str, int]


def printout(report: Report, summary: tuple[SummaryNote, ...] = ()) -> Printout:
    """Return the report as printed: fewer tables and charts, long tables cut short.

    `summary` says, for each summary figure, its key, its definition and its label. Figures
    on the summary are not printed again below it, and their notes come first.
    """
    shown = {note.key for note in summary}
    left: list[tuple[str, str]] = []
    cut: dict[str, int] = {}
    sections = []
    for section in report.sections:
        figures = tuple(figure for figure in section.figures if figure.key not in shown)
        tables = []
        for table in section.tables:
            if _printed(report, table):
                tables.append(_for_paper(table, PRINTED_CHARTS.get(report.audience), cut))
            else:
                left.append((table.key, table.title))
        sections.append(dataclasses.replace(section, figures=figures, tables=tuple(tables)))
    printed = dataclasses.replace(report, sections=tuple(_kept(sections)))
    first = tuple((note.definition, note.label) for note in summary)
    found = notes(printed, first)
    used = " ".join(words for _label, words in found)
    shared = tuple(sentence for sentence in SHARED if sentence in used)
    return Printout(printed, tuple(left), _shortened(found), shared, cut)


def _printed(report: Report, table: Table) -> bool:
    """Say whether a table goes on paper (a practice's own row is its summary already)."""
    if report.audience == "practice" and table.key == "referrals_by_practice":
        return False
    return table.key in PRINTED_TABLES


def _kept(sections: list[Section]) -> list[Section]:
    return [section for section in sections if section.figures or section.tables]


def _for_paper(table: Table, charted: str | None, cut: dict[str, int]) -> Table:
    """Return the table as printed: its chart only if it is the one printed chart."""
    chart = table.chart if table.key == charted else None
    rows = table.rows
    if table.key in CUT_SHORT and len(rows) > MOST_ROWS:
        cut[table.key] = len(rows) - MOST_ROWS
        rows = rows[:MOST_ROWS]
    return dataclasses.replace(table, chart=chart, rows=rows)


def notes(report: Report, first: tuple[tuple[str, str], ...] = ()) -> tuple[tuple[str, str], ...]:
    """Return (label, words) for each definition the printed figures and tables need, once.

    `first` is (definition key, label) for the figures to explain first (the summary's).
    """
    named = list(first)
    for section in report.sections:
        named += [(figure.key, figure.label) for figure in section.figures]
        named += [(table.key, table.title) for table in section.tables]
    found: dict[str, tuple[str, str]] = {}
    for key, label in named:
        if key in report.definitions and key not in found:
            found[key] = (label, report.definitions[key])
    return tuple(found.values())


def _shortened(found: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Return the notes without the shared sentences; a note left with nothing is dropped."""
    short = []
    for label, words in found:
        for sentence in SHARED:
            words = words.replace(sentence, "")
        words = " ".join(words.split())
        if words:
            short.append((label, words))
    return tuple(short)
