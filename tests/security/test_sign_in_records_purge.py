"""Sign-in codes and mobile-change codes are deleted a day after they expire."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.factories import MemberFactory
from timebank.clock import utcnow
from timebank.extensions import db
from timebank.members.models import MobileChange, SignInCode
from timebank.members.signin import request_sign_in_code


def _age(rows: list, hours: float) -> None:
    for row in rows:
        row.created_at = utcnow() - dt.timedelta(hours=hours)
        row.expires_at = row.created_at + dt.timedelta(minutes=10)
    db.session.commit()


def test_codes_that_expired_over_a_day_ago_are_purged_with_the_sessions(app, session, bank):
    member = MemberFactory(bank=bank)
    for mobile in (member.mobile_e164, "07400 123457", "07400 123458"):
        request_sign_in_code(session, bank.id, bank.name, mobile)
    old_member_code, old_stranger_code, fresh_code = db.session.scalars(
        sa.select(SignInCode).order_by(SignInCode.created_at)
    ).all()
    _age([old_member_code, old_stranger_code], hours=26)
    db.session.add(
        MobileChange(
            bank_id=bank.id,
            member_id=member.id,
            new_e164="+447400123459",
            salt="s",
            code_hash="h" * 64,
            created_at=utcnow() - dt.timedelta(hours=30),
            expires_at=utcnow() - dt.timedelta(hours=29),
        )
    )
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["sessions", "purge"])

    assert result.exit_code == 0, result.output
    assert "2 sign-in codes" in result.output and "1 mobile change" in result.output
    left = set(db.session.scalars(sa.select(SignInCode.id)))
    assert left == {fresh_code.id}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MobileChange)) == 0


def test_a_code_that_expired_less_than_a_day_ago_is_kept(app, session, bank):
    member = MemberFactory(bank=bank)
    request_sign_in_code(session, bank.id, bank.name, member.mobile_e164)
    _age(list(db.session.scalars(sa.select(SignInCode))), hours=20)

    result = app.test_cli_runner().invoke(args=["sessions", "purge"])

    assert "0 sign-in codes" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInCode)) == 1
