"""Our mirror of STOP and START, per time bank and number."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.factories import TimeBankFactory
from timebank.sms.models import OptOut
from timebank.sms.optouts import is_opted_out, record_opt_in, record_opt_out

NUMBER = "+447450120567"
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def test_a_number_nobody_heard_from_is_not_opted_out(session, bank):
    assert not is_opted_out(session, bank.id, NUMBER)


def test_stop_then_start_flips_one_row_and_keeps_when_it_changed(session, bank):
    record_opt_out(session, bank.id, NUMBER, MONDAY)
    session.commit()
    assert is_opted_out(session, bank.id, NUMBER)
    later = MONDAY + dt.timedelta(days=2)
    record_opt_in(session, bank.id, NUMBER, later)
    session.commit()
    assert not is_opted_out(session, bank.id, NUMBER)
    row = session.scalars(sa.select(OptOut)).one()
    assert (row.opted_out, row.changed_at.replace(tzinfo=dt.UTC)) == (False, later)


def test_stopping_twice_is_the_same_as_once(session, bank):
    record_opt_out(session, bank.id, NUMBER, MONDAY)
    session.commit()
    record_opt_out(session, bank.id, NUMBER, MONDAY)
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(OptOut)) == 1


def test_an_opt_out_is_for_one_time_bank_only(session, bank):
    other = TimeBankFactory()
    record_opt_out(session, bank.id, NUMBER, MONDAY)
    session.commit()
    assert is_opted_out(session, bank.id, NUMBER)
    assert not is_opted_out(session, other.id, NUMBER)


def test_recording_does_not_commit_so_a_rollback_forgets_it(session, bank):
    record_opt_out(session, bank.id, NUMBER, MONDAY)
    session.rollback()
    assert not is_opted_out(session, bank.id, NUMBER)
