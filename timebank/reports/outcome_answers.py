"""Members' own answers at joining against six and twelve months later.

Only members who answered the same question at joining (round 0) and again six months
later (round 1) or twelve months later (round 2) are counted, so each pair of columns
compares the same people. A pair counts in the period in which the later answer was given.
Every cell is a count of people, protected as the report's other counts of people are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.members.models import Member
from timebank.outcomes.models import OutcomeRound
from timebank.outcomes.questions import LONELY_CHOICES, SATISFIED_BANDS
from timebank.reports.scope import Scope
from timebank.reports.scratch import stamp_on_days
from timebank.reports.tables import Column, Section, Table, Value

# (round, the later column's words)
LATER_ROUNDS = ((1, "six months later"), (2, "twelve months later"))
TOTAL_LABEL = "Members who answered both times"

LONELINESS_DEFINITION = (
    'The ONS question "How often do you feel lonely?", asked by text or on the web with '
    "the member's consent. Members who answered at joining and again six (or twelve) months "
    "later, counted by their answer each time; a member counts in the period of the later "
    "answer. Counts of people are protected as the report's other counts of people are."
)
SATISFACTION_DEFINITION = (
    'The ONS question "Overall, how satisfied are you with your life nowadays?" (0 not at '
    "all to 10 completely), in the ONS's bands. Members who answered at joining and again "
    "six (or twelve) months later, counted by their answer each time; a member counts in the "
    "period of the later answer. Counts of people are protected as the report's other "
    "counts of people are."
)


def _pairs(scope: Scope, question: str, later_round: int) -> list[tuple[int, int]]:
    """Return (answer at joining, later answer) for each member who gave both."""
    first, later = so.aliased(OutcomeRound), so.aliased(OutcomeRound)
    first_answer, later_answer = getattr(first, question), getattr(later, question)
    later_at = getattr(later, f"{question}_at")
    query = (
        sa.select(first_answer, later_answer)
        .join(later, sa.and_(later.member_id == first.member_id, later.round == later_round))
        .join(Member, Member.id == first.member_id)
        .where(
            first.bank_id == scope.bank_id,
            later.bank_id == scope.bank_id,
            first.round == 0,
            Member.role == "member",
            first_answer.is_not(None),
            later_answer.is_not(None),
            stamp_on_days(later_at, scope.period.start, scope.period.end),
        )
    )
    return [(row[0], row[1]) for row in scope.session.execute(query)]


def _band(value: int) -> str:
    for label, lowest, highest in SATISFIED_BANDS:
        if lowest <= value <= highest:
            return label
    return str(value)


def _table(
    scope: Scope,
    key: str,
    title: str,
    definition: str,
    question: str,
    labels: list[str],
    label_of: Callable[[int], str],
) -> Table:
    guard = scope.guard
    columns = [Column("answer", "Answer", "text")]
    counted: list[tuple[Counter[str], Counter[str], int]] = []
    for later_round, words in LATER_ROUNDS:
        pairs = _pairs(scope, question, later_round)
        at_joining = Counter(label_of(first) for first, _ in pairs)
        after = Counter(label_of(second) for _, second in pairs)
        counted.append((at_joining, after, len(pairs)))
        months = words.split()[0]
        columns += [
            Column(f"joining_{months}", f"At joining (the {months}-month group)", "people"),
            Column(f"after_{months}", words.capitalize(), "people"),
        ]
    rows: list[tuple[Value, ...]] = []
    for label in labels:
        row: list[Value] = [label]
        for at_joining, after, _people in counted:
            row += [guard.count(at_joining[label]), guard.count(after[label])]
        rows.append(tuple(row))
    total: list[Value] = [TOTAL_LABEL]
    for _at_joining, _after, people in counted:
        total += [guard.count(people), guard.count(people)]
    rows.append(tuple(total))
    return Table(key, title, definition, tuple(columns), tuple(rows))


def outcomes_section(scope: Scope) -> Section:
    """Build the section on members' own answers: loneliness and life satisfaction."""
    loneliness = _table(
        scope,
        "outcome_loneliness",
        "How often members feel lonely, at joining and later",
        LONELINESS_DEFINITION,
        "lonely",
        [words for _value, words in LONELY_CHOICES],
        lambda value: dict(LONELY_CHOICES).get(value, str(value)),
    )
    satisfaction = _table(
        scope,
        "outcome_life_satisfaction",
        "How satisfied members are with their life, at joining and later",
        SATISFACTION_DEFINITION,
        "satisfied",
        [label for label, _lowest, _highest in SATISFIED_BANDS],
        _band,
    )
    return Section(
        "outcomes",
        "In members' own words",
        tables=(loneliness, satisfaction),
        note=(
            "Members who agreed are asked two ONS questions when they join and every six "
            "months, by text or on the web. Nobody records these for them."
        ),
    )
