"""The one page a report opens with: its main figures, each beside the previous period's.

(Not to be confused with `timebank.reports.summaries`, the kept sums of the ledger that
reports read.) Nothing here counts anything: every figure is picked by its key from the
report's own sections, and the previous period's from a report built the same way for that
period, so the summary always says what the details below it say. In the funder view both
reports are protected before they are compared, and a change is worked out only where both
figures are exact: a rounded or hidden count of people gets words saying so instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy.orm as so

from timebank.errors import InvalidInput
from timebank.reports.build import build_practice_report, build_report, build_summary_figures
from timebank.reports.formatting import format_number, format_value
from timebank.reports.period import Period, grid_kind, previous
from timebank.reports.suppression import PEOPLE
from timebank.reports.tables import Report, Suppressed, Value


@dataclass(frozen=True)
class Pick:
    """Where a summary figure is in a report: a headline figure, or one cell of a table.

    `row` is the table row's first cell (None: the table's only row); a pick whose figure
    the report leaves out (as the funder view leaves out some) is not shown, and one with
    `unless` is shown only when the report has no figure of that key.
    """

    label: str
    key: str
    row: str | None = None
    column: str | None = None
    unless: str | None = None
    # The definition to link to, if not the figure's or the table's own.
    about: str | None = None

    @property
    def definition(self) -> str:
        """Return the key of the definition that says what this figure counts."""
        return self.about or self.key


GROUP = "Group sessions"
BANK_PICKS = (
    Pick("Members at the end of the period", "members_at_end"),
    Pick("New members", "new_members"),
    Pick("Active members", "active_members"),
    Pick("People helped", "people_helped"),
    Pick("Exchanges", "exchanges"),
    Pick("Hours of help given", "hours_exchanged"),
    Pick("Estimated value of the help given", "estimated_value"),
    Pick("Group sessions", "group_activity", GROUP, "sessions"),
    Pick("People taking part in group sessions", "group_activity", GROUP, "people"),
    Pick("Hours of help in group sessions", "group_activity", GROUP, "minutes"),
    Pick("People referred", "referral_funnel", "Referred", "people", about="referred"),
    Pick("Referred people who joined", "referral_funnel", "Joined", "people", about="joined"),
    Pick("Referred people who made a first exchange", "referral_funnel", "First exchange",
         "people", about="first_exchange"),
    Pick("New connections (pairs of members)", "new_connections"),
    Pick("Mixing: share of referred members' pairs made with others", "mixing_share"),
    Pick("Mixing: pairs of a referred member with one not referred", "mixed_pairs",
         unless="mixing_share"),
)  # fmt: skip
PRACTICE_PICKS = tuple(
    Pick(label, "referrals_by_practice", None, column, about=column)
    for column, label in (
        ("referred", "People referred"),
        ("consented", "Said yes to hearing from the time bank"),
        ("joined", "Joined"),
        ("first_exchange", "Made a first exchange"),
        ("active_at_3_months", "Active 3 months after joining"),
        ("median_days_to_first_exchange", "Days from referral to first exchange (middle value)"),
    )
)

# What the change column says when it cannot give a difference.
NOTHING_TO_COMPARE = "No figure to compare"
HIDDEN_NOT_COMPARED = "Hidden, so not compared"
ROUNDED_NOT_COMPARED = "Rounded, so not compared"


@dataclass(frozen=True)
class Change:
    """How a figure moved since the previous period: `direction` and the same in words.

    `direction` is "up", "down", "same", or "none" when no difference is given.
    """

    direction: str
    words: str


@dataclass(frozen=True)
class Line:
    """One summary figure: this period's value, the previous period's, and the change."""

    key: str
    label: str
    kind: str
    now: Value
    before: Value
    change: Change
    definition: str


@dataclass(frozen=True)
class Summary:
    """A report's summary page: its lines, and the period they are compared with."""

    previous: Period
    lines: tuple[Line, ...]
    # What an hour is valued at and where that comes from, said under the estimated value.
    value_note: str = ""


@dataclass(frozen=True)
class Summarised:
    """A report with its summary, as the pages show them: the summary first."""

    report: Report
    summary: Summary


def previous_period(period: Period, audience: str) -> Period:
    """Return the period a report is compared with.

    For any report, the period of the same length ending the day before (whole months: the
    same number of whole months). A funder report's period is a calendar month, quarter or
    year, so this is the month, quarter or year before: a fixed period of the same kind.
    """
    earlier = previous(period)
    kind = grid_kind(period)
    if audience == "funder" and (kind is None or grid_kind(earlier) != kind):
        raise InvalidInput("The funder view compares a calendar period with the one before.")
    return earlier


def change(now: Value, before: Value, kind: str, audience: str) -> Change:
    """Return how a figure changed, giving a difference only when both figures are exact.

    In the funder view a count of people is rounded to 5 or hidden (unless it is 0), so a
    difference of two would be a false figure, and could narrow down a hidden one.
    """
    if isinstance(now, Suppressed) or isinstance(before, Suppressed):
        return Change("none", HIDDEN_NOT_COMPARED)
    this, last = _number(now), _number(before)
    if this is None or last is None:
        return Change("none", NOTHING_TO_COMPARE)
    if audience == "funder" and kind == PEOPLE and (this or last):
        return Change("none", ROUNDED_NOT_COMPARED)
    difference = this - last
    if difference == 0:
        return Change("same", "No change")
    direction = "up" if difference > 0 else "down"
    return Change(direction, f"{direction.capitalize()} {_amount(abs(difference), kind)}")


def _number(value: Value) -> int | float | None:
    """Return the value if it is a number (not a date, words or "not yet"), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _amount(difference: int | float, kind: str) -> str:
    """Say a difference of this kind: a difference of two shares is in percentage points."""
    if kind == "percent":
        points = round(difference, 1)
        return format_number(points) + " percentage point" + ("" if points == 1 else "s")
    return format_value(difference, kind)


def picked(report: Report, pick: Pick) -> tuple[Value, str] | None:
    """Return a picked figure's value and kind in the report, or None if it is not there."""
    if pick.column is None:
        for section in report.sections:
            for figure in section.figures:
                if figure.key == pick.key:
                    return figure.value, figure.kind
        return None
    return _cell(report, pick)


def _cell(report: Report, pick: Pick) -> tuple[Value, str] | None:
    table = report.table(pick.key)
    if table is None:
        return None
    keys = [column.key for column in table.columns]
    if pick.column not in keys:
        return None
    n = keys.index(pick.column)
    rows = [row for row in table.rows if pick.row is None or row[0] == pick.row]
    if len(rows) != 1:
        return None
    return rows[0][n], table.columns[n].kind


def summarise(report: Report, earlier: Report, picks: tuple[Pick, ...]) -> Summary:
    """Return the summary of `report` against the same report for the previous period."""
    lines = []
    for pick in picks:
        found = picked(report, pick)
        if found is None or (pick.unless and picked(report, Pick("", pick.unless))):
            continue
        now, kind = found
        then = picked(earlier, pick)
        before = then[0] if then is not None else None
        moved = change(now, before, kind, report.audience)
        lines.append(Line(pick.key, pick.label, kind, now, before, moved, pick.definition))
    return Summary(Period(earlier.start, earlier.end), tuple(lines), _value_note(report))


def _value_note(report: Report) -> str:
    """Say the hourly value behind the estimate and its source, if the report has them."""
    rate = picked(report, Pick("", "hourly_value"))
    source = picked(report, Pick("", "hourly_value_source"))
    if rate is None or not isinstance(rate[0], int):
        return ""
    words = f"The estimated value counts each hour of help at {format_value(rate[0], 'pence')}"
    return words + (f" ({source[0]})." if source and source[0] else ".")


def build_summarised_report(
    session: so.Session,
    bank_id: int,
    start: dt.date,
    end: dt.date,
    audience: str = "broker",
    direct: bool = False,
) -> Summarised:
    """Return the bank's report for the period with its summary against the period before.

    The previous period's report is built (and, for funders, protected) exactly as this
    one is, with only the figures the summary compares (`build.build_summary_figures`).
    """
    report = build_report(session, bank_id, start, end, audience, direct)
    earlier = previous_period(Period(start, end), audience)
    before = build_summary_figures(session, bank_id, earlier.start, earlier.end, audience, direct)
    return Summarised(report, summarise(report, before, BANK_PICKS))


def build_summarised_practice_report(
    session: so.Session, bank_id: int, partner_id: int, start: dt.date, end: dt.date
) -> Summarised:
    """Return one partner's exact report for the period with its summary against the last."""
    report = build_practice_report(session, bank_id, partner_id, start, end)
    earlier = previous_period(Period(start, end), "practice")
    before = build_practice_report(session, bank_id, partner_id, earlier.start, earlier.end)
    return Summarised(report, summarise(report, before, PRACTICE_PICKS))
