"""Playing the attacker against the funder view: no hidden count of people can be worked out.

Random small banks (seeded, so a failure can be replayed) get every funder report the bank
can produce for 2025: each calendar month, each quarter and the year. The attacker knows how
the figures are made: how a shown count was rounded or hidden (`possible_values`), which
figures are totals of others in the same report, and which figures add up over time. It
tries what the issue's testers tried: a total minus the parts shown beside it, and one
period minus a period inside it. No hidden or rounded count may come out exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Iterator

import pytest

from tests.factories import TimeBankFactory, member_joined, record_help
from tests.integration.test_report_referrals import refer
from timebank.ledger.rules import OLDEST_PAST_DAYS
from timebank.referrals import partners
from timebank.reports.build import build_report
from timebank.reports.period import Period, grid_periods
from timebank.reports.suppression import funder_layout, possible_values
from timebank.reports.tables import Report, Value

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
SEEDS = range(6)
# What the attacker targets: every count of people the report shows (figures and columns).
PEOPLE_FIGURES = (
    "active_members", "new_members", "left_members", "gave_and_received",
    "flagged", "contacted", "re_engaged",
)  # fmt: skip
PEOPLE_TABLES = (
    "active_by_month", "retention", "partners_distribution", "referrals_by_practice",
    "referral_funnel",
)  # fmt: skip
# Figures that add up over time: a longer period's count is the shorter one's plus the rest.
ADDITIVE = (("figure", "new_members"), ("figure", "left_members"))
FUNNEL_STAGES = {"Referred": "referred", "Said yes": "consented", "Joined": "joined"}

Cell = tuple[str, ...]


def random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def build_bank(session, admin_of, seed: int):
    """Build a small random bank: members, exchanges and referrals from three practices."""
    rng = random.Random(seed)
    bank = TimeBankFactory(exchange_past_days=OLDEST_PAST_DAYS)
    admin = admin_of(bank)
    practices = [
        partners.add_partner(session, bank.id, admin.id, name)
        for name in ("Riverside", "Hill Surgery", "Park Practice")
    ]
    members = [
        member_joined(
            bank,
            f"Member {n}",
            random_day(rng, dt.date(2024, 9, 1), YEAR[1]),
            area=rng.choice(("North", "South", None)),
        )  # fmt: skip
        for n in range(rng.randrange(12, 40))
    ]
    for _ in range(rng.randrange(20, 70)):
        giver, receiver = rng.sample(members, 2)
        on = random_day(rng, max(giver.joined_at.date(), receiver.joined_at.date()), YEAR[1])
        record_help(session, giver, receiver, rng.choice((30, 60, 90)), on)
    weights = [rng.random() for _ in practices]
    for _ in range(rng.randrange(5, 45)):
        partner = rng.choices([*practices, None], [*weights, 0.2])[0]
        created = random_day(rng, *YEAR)
        joined = None
        if rng.random() < 0.4:
            joined = created + dt.timedelta(days=rng.randrange(1, 20))
        said = "consented" if joined or rng.random() < 0.5 else rng.choice((None, "declined"))
        who = member_joined(bank, "Referred", joined) if joined else None
        refer(session, bank, partner, created, said=said, joined=joined, member=who)
    return bank


def cells(report: Report) -> Iterator[tuple[Cell, Value]]:
    """Yield each count of people in the report, named by where it is."""
    for section in report.sections:
        for figure in section.figures:
            if figure.key in PEOPLE_FIGURES:
                yield ("figure", figure.key), figure.value
        for table in section.tables:
            if table.key not in PEOPLE_TABLES:
                continue
            for row in table.rows:
                for column, value in zip(table.columns[1:], row[1:], strict=True):
                    if column.kind in ("count", "people") and value is not None:
                        yield ("table", table.key, str(row[0]), column.key), value


@dataclasses.dataclass
class Published:
    """One funder report as the attacker sees it, and the truth it was made from."""

    period: Period
    shown: dict[Cell, Value]
    truth: dict[Cell, int]


def publish_all(session, bank) -> list[Published]:
    """Produce every funder report of 2025, each beside the exact figures behind it."""
    found = []
    for period in grid_periods(*YEAR):
        if period.end > YEAR[1]:
            continue
        funder = build_report(session, bank.id, period.start, period.end, "funder")
        exact = build_report(session, bank.id, period.start, period.end, "broker")
        truth = funder_layout(dataclasses.replace(exact, audience="funder"))
        shown = dict(cells(funder))
        found.append(Published(period, shown, {k: v for k, v in cells(truth) if k in shown}))
    return found


def span(cell_values: list[Value]) -> tuple[int, int]:
    """Return the least and most the counts shown could add up to."""
    ranges = [possible_values(value) for value in cell_values]
    return sum(r[0] for r in ranges), sum(r[-1] for r in ranges)


def within_report_relations(report: Published) -> Iterator[tuple[Cell, list[Cell]]]:
    """Yield (total, parts): figures in one report that the parts beside them add up to."""
    shown = report.shown
    for stage, column in FUNNEL_STAGES.items():
        total = ("table", "referral_funnel", stage, "people")
        parts = [c for c in shown if c[:2] == ("table", "referrals_by_practice") and c[3] == column]
        if total in shown and parts:
            yield total, parts
    joined = [c for c in shown if c[:2] == ("table", "retention") and c[3] == "joined"]
    if ("figure", "new_members") in shown and joined:
        yield ("figure", "new_members"), joined


def solved_exactly(total: Value, parts: list[Value], target: int) -> range:
    """Return what the target part can be, given the total and every other part shown."""
    others = parts[:target] + parts[target + 1 :]
    low_others, high_others = span(others)
    own = possible_values(parts[target])
    low = max(own[0], possible_values(total)[0] - high_others)
    high = min(own[-1], possible_values(total)[-1] - low_others)
    return range(low, high + 1)


@pytest.fixture(params=SEEDS, ids=lambda seed: f"bank{seed}")
def reports(request, session, app):
    """Return every funder report one random bank can produce for 2025."""
    from tests.factories import MemberFactory

    def admin_of(bank):
        return MemberFactory(bank=bank, role="admin", display_name="Ada Admin")

    bank = build_bank(session, admin_of, request.param)
    return publish_all(session, bank)


def test_no_count_of_people_can_be_worked_out_from_every_funder_report_of_a_random_bank(
    reports,
):
    every_count_shown_could_be_at_least_two_true_values(reports)
    a_total_minus_the_parts_shown_beside_it_never_gives_a_part_exactly(reports)
    one_period_minus_a_period_inside_it_never_gives_the_rest_exactly(reports)


def every_count_shown_could_be_at_least_two_true_values(reports):
    for report in reports:
        for cell, value in report.shown.items():
            assert report.truth[cell] in possible_values(value), (report.period, cell)
            if report.truth[cell] != 0:
                assert len(possible_values(value)) >= 2, (report.period, cell, value)


def a_total_minus_the_parts_shown_beside_it_never_gives_a_part_exactly(reports):
    for report in reports:
        for total, parts in within_report_relations(report):
            values = [report.shown[p] for p in parts]
            for n, part in enumerate(parts):
                if report.truth[part] == 0:
                    continue  # zero is shown as it is: there is nobody to find
                found = solved_exactly(report.shown[total], values, n)
                assert len(found) >= 2, (report.period, total, part, list(found))


def one_period_minus_a_period_inside_it_never_gives_the_rest_exactly(reports):
    for longer in reports:
        for shorter in reports:
            inside = longer.period.start <= shorter.period.start
            inside = inside and shorter.period.end <= longer.period.end
            if shorter is longer or not inside:
                continue
            for cell in ADDITIVE + _referred_cells(longer):
                if cell not in longer.shown or cell not in shorter.shown:
                    continue
                rest = longer.truth[cell] - shorter.truth[cell]
                whole, part = (
                    possible_values(longer.shown[cell]),
                    possible_values(shorter.shown[cell]),
                )
                low, high = max(0, whole[0] - part[-1]), whole[-1] - part[0]
                if high == 0:
                    continue  # both are shown as 0: nothing is hidden
                assert low <= rest <= high
                assert high > low, (longer.period, shorter.period, cell, rest)


def _referred_cells(report: Published) -> tuple[Cell, ...]:
    """Return the counts of people referred, in total and by practice (they add up over time)."""
    return tuple(
        cell
        for cell in report.shown
        if cell == ("table", "referral_funnel", "Referred", "people")
        or (cell[:2] == ("table", "referrals_by_practice") and cell[3] == "referred")
    )
