"""Members' own answers: kept once per period, flagged for a call, reported, erased."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import member_joined, noon_on
from timebank.broker import outreach
from timebank.broker.models import OutreachFlag
from timebank.errors import InvalidInput, NotAllowed
from timebank.membership.privacy import as_text, erase_member, member_data
from timebank.membership.services import set_member_status
from timebank.outcomes.answers import answer_on_web
from timebank.outcomes.consent import agree, refuse
from timebank.outcomes.models import OutcomeConsent, OutcomeRound
from timebank.reports.build import build_report

JOINED = dt.date(2025, 1, 10)
AT_JOINING = dt.date(2025, 1, 11)
SIX_MONTHS = dt.date(2025, 7, 20)
TWELVE_MONTHS = dt.date(2026, 1, 20)


def answered(session, bank, name, answers, joined=JOINED, **fields):
    """Add a member who agreed and answered on the web on each day: {day: (lonely, sat)}."""
    member = member_joined(bank, name, joined, **fields)
    agree(session, bank.id, member.id, "web", now=noon_on(joined))
    for day, (lonely, satisfied) in answers.items():
        answer_on_web(session, bank.id, member.id, lonely, satisfied, now=noon_on(day))
    return member


def open_flags(session, bank, rule="often_lonely") -> dict[int, str]:
    rows = session.scalars(
        sa.select(OutreachFlag).where(
            OutreachFlag.bank_id == bank.id,
            OutreachFlag.rule == rule,
            OutreachFlag.status.in_(("open", "snoozed")),
        )
    )
    return {row.member_id: row.reason for row in rows}


def test_answers_are_kept_once_per_six_month_period(session, bank):
    joyce = answered(session, bank, "Joyce Campbell", {AT_JOINING: (2, 6), SIX_MONTHS: (3, 7)})
    rows = session.scalars(
        sa.select(OutcomeRound).where(OutcomeRound.member_id == joyce.id).order_by("round")
    ).all()
    assert [(r.round, r.lonely, r.satisfied) for r in rows] == [(0, 2, 6), (1, 3, 7)]
    with pytest.raises(InvalidInput, match="already answered"):
        answer_on_web(session, bank.id, joyce.id, 1, 1, now=noon_on(SIX_MONTHS))
    session.expire_all()
    assert session.get(OutcomeRound, rows[1].id).lonely == 3


def test_answers_out_of_range_are_refused_and_change_nothing(session, bank):
    joyce = answered(session, bank, "Joyce Campbell", {})
    with pytest.raises(InvalidInput, match="how often you feel lonely"):
        answer_on_web(session, bank.id, joyce.id, 7, 5, now=noon_on(AT_JOINING))
    with pytest.raises(InvalidInput, match="0 to 10"):
        answer_on_web(session, bank.id, joyce.id, 3, 11, now=noon_on(AT_JOINING))
    assert session.scalar(sa.select(sa.func.count()).select_from(OutcomeRound)) == 0


def test_the_database_refuses_an_answer_out_of_range_and_a_second_row_per_period(session, bank):
    joyce = answered(session, bank, "Joyce Campbell", {AT_JOINING: (2, 6)})
    with pytest.raises(sa.exc.IntegrityError):
        session.execute(sa.update(OutcomeRound).values(lonely=7))
        session.flush()
    session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        session.add(
            OutcomeRound(
                bank_id=bank.id, member_id=joyce.id, round=0,
                opens_at=dt.datetime(2025, 1, 10, tzinfo=dt.UTC),
                closes_at=dt.datetime(2025, 7, 10, tzinfo=dt.UTC),
            )
        )  # fmt: skip
        session.flush()
    session.rollback()


def test_nobody_answers_without_agreeing_and_a_suspended_member_cannot_answer(session, bank):
    olive = member_joined(bank, "Olive Grant", JOINED)
    with pytest.raises(InvalidInput, match="happy to answer"):
        answer_on_web(session, bank.id, olive.id, 2, 6, now=noon_on(AT_JOINING))
    walter = answered(session, bank, "Walter Hughes", {})
    set_member_status(session, bank.id, walter.id, "suspended")
    with pytest.raises(NotAllowed):
        answer_on_web(session, bank.id, walter.id, 2, 6, now=noon_on(AT_JOINING))
    refuse(session, bank.id, olive.id)
    with pytest.raises(InvalidInput, match="said no"):
        agree(session, bank.id, olive.id, "broker")
    assert session.get(OutcomeConsent, olive.id).agreed_at is None


def test_often_or_always_lonely_raises_a_flag_for_a_call_and_a_better_answer_clears_it(
    session, bank
):
    joyce = answered(session, bank, "Joyce Campbell", {AT_JOINING: (1, 3)})
    answered(session, bank, "Dorothy Palmer", {AT_JOINING: (2, 3)})
    private = answered(session, bank, "Pat Private", {AT_JOINING: (1, 3)})
    private.do_not_contact = True
    session.commit()
    outreach.refresh_flags(session, bank.id, AT_JOINING, now=noon_on(AT_JOINING))
    assert open_flags(session, bank) == {
        joyce.id: "Said they feel lonely often or always (answered on 11 January)."
    }
    assert private.id not in open_flags(session, bank)
    answer_on_web(session, bank.id, joyce.id, 3, 6, now=noon_on(SIX_MONTHS))
    outreach.refresh_flags(session, bank.id, SIX_MONTHS, now=noon_on(SIX_MONTHS))
    assert open_flags(session, bank) == {}


def test_the_flag_lapses_when_the_answer_is_over_six_months_old(session, bank):
    answered(session, bank, "Joyce Campbell", {AT_JOINING: (1, 3)})
    later = AT_JOINING + dt.timedelta(days=183)
    outreach.refresh_flags(session, bank.id, later, now=noon_on(later))
    assert open_flags(session, bank) == {}


def _six_month_bank(session, bank):
    # Six members answered at joining and six months later (in July 2025); one answered
    # only at joining, one only later; one answered at joining and twelve months later.
    pairs = [((1, 2), (3, 6)), ((1, 4), (2, 5)), ((2, 5), (2, 7)), ((3, 6), (4, 7)),
             ((3, 7), (4, 8)), ((4, 8), (5, 9))]  # fmt: skip
    for number, (first, later) in enumerate(pairs):
        answered(session, bank, f"Pair {number}", {AT_JOINING: first, SIX_MONTHS: later})
    answered(session, bank, "Only Joining", {AT_JOINING: (1, 1)})
    answered(session, bank, "Only Later", {SIX_MONTHS: (5, 10)})
    answered(session, bank, "Year Later", {AT_JOINING: (1, 0), TWELVE_MONTHS: (2, 9)})


def test_the_report_shows_answers_at_joining_against_six_months_later(session, bank):
    _six_month_bank(session, bank)
    report = build_report(session, bank.id, dt.date(2025, 7, 1), dt.date(2025, 7, 31), direct=True)
    lonely = report.table("outcome_loneliness")
    assert [c.key for c in lonely.columns] == [
        "answer", "joining_six", "after_six", "joining_twelve", "after_twelve",
    ]  # fmt: skip
    assert lonely.rows == (
        ("Often or always", 2, 0, 0, 0),
        ("Some of the time", 1, 2, 0, 0),
        ("Occasionally", 2, 1, 0, 0),
        ("Hardly ever", 1, 2, 0, 0),
        ("Never", 0, 1, 0, 0),
        ("Members who answered both times", 6, 6, 0, 0),
    )
    satisfied = report.table("outcome_life_satisfaction")
    assert satisfied.rows == (
        ("Low (0 to 4)", 2, 0, 0, 0),
        ("Medium (5 to 6)", 2, 2, 0, 0),
        ("High (7 to 8)", 2, 3, 0, 0),
        ("Very high (9 to 10)", 0, 1, 0, 0),
        ("Members who answered both times", 6, 6, 0, 0),
    )
    year = build_report(session, bank.id, dt.date(2026, 1, 1), dt.date(2026, 1, 31), direct=True)
    assert year.table("outcome_loneliness").rows[0] == ("Often or always", 0, 0, 1, 0)
    assert year.table("outcome_loneliness").rows[-1][1:] == (0, 0, 1, 1)


def test_the_funders_report_leaves_the_answers_to_brokers(session, bank):
    _six_month_bank(session, bank)
    broker_view = build_report(session, bank.id, dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    funder_view = build_report(
        session, bank.id, dt.date(2025, 7, 1), dt.date(2025, 7, 31), "funder"
    )
    funder_tables = {table.key for section in funder_view.sections for table in section.tables}
    for key in ("outcome_loneliness", "outcome_life_satisfaction"):
        # Each column of answers adds up to its total: rounding cannot protect such a table.
        assert broker_view.table(key).rows
        assert key not in funder_tables


def test_a_members_data_holds_their_answers_and_erasure_deletes_them(session, bank):
    joyce = answered(session, bank, "Joyce Campbell", {AT_JOINING: (1, 3), SIX_MONTHS: (2, 5)})
    sections = {s.slug: s for s in member_data(session, bank.id, joyce.id)}
    answers = sections["outcome_answers"].rows
    assert [(row[1], row[3]) for row in answers] == [
        ("Often or always", 3),
        ("Some of the time", 5),
    ]
    assert ("How you agreed", "web") in sections["outcome_consent"].rows
    assert "Often or always" in as_text(list(sections.values()), bank.name, noon_on(SIX_MONTHS)())
    set_member_status(session, bank.id, joyce.id, "left")
    erase_member(session, bank.id, joyce.id)
    for model in (OutcomeRound, OutcomeConsent):
        count = sa.select(sa.func.count()).select_from(model).where(model.member_id == joyce.id)
        assert session.scalar(count) == 0
