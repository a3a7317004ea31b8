"""Sign-in by password and by a one-time code sent by SMS."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from timebank.errors import InvalidInput
from timebank.members import signin
from timebank.members.models import SignInCode
from timebank.sms.models import OutboxMessage

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def at(minutes: float):
    return lambda: START + dt.timedelta(minutes=minutes)


def code_texted_to(session, e164: str) -> str:
    body = session.scalars(
        sa.select(OutboxMessage.body)
        .where(OutboxMessage.to_e164 == e164)
        .order_by(OutboxMessage.id.desc())
    ).first()
    return body.split()[0]


@pytest.fixture
def joyce(bank):
    return MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")


def test_password_sign_in_accepts_mobile_in_any_uk_format_and_email(session, bank, joyce):
    signin.set_password(session, bank.id, joyce.id, "blue kettle garden")
    joyce.email = "joyce@example.org"
    session.commit()
    for identifier in ("07450 120567", "+44 7450 120567", "JOYCE@example.org"):
        member = signin.sign_in_with_password(session, bank.id, identifier, "blue kettle garden")
        assert member.id == joyce.id


def test_wrong_password_and_unknown_person_get_the_same_words(session, bank, joyce):
    signin.set_password(session, bank.id, joyce.id, "blue kettle garden")
    with pytest.raises(signin.SignInFailed) as wrong:
        signin.sign_in_with_password(session, bank.id, "07450 120567", "red kettle")
    with pytest.raises(signin.SignInFailed) as unknown:
        signin.sign_in_with_password(session, bank.id, "07999 000111", "red kettle")
    assert wrong.value.message == unknown.value.message


def test_member_who_left_cannot_sign_in_even_with_the_right_password(session, bank, joyce):
    from timebank.membership.services import set_member_status

    signin.set_password(session, bank.id, joyce.id, "blue kettle garden")
    set_member_status(session, bank.id, joyce.id, "left")
    with pytest.raises(signin.SignInFailed):
        signin.sign_in_with_password(session, bank.id, "07450 120567", "blue kettle garden")


def test_a_code_is_texted_and_signs_the_member_in_once(session, bank, joyce):
    token = signin.request_sign_in_code(session, bank.id, bank.name, "07450120567", now=at(0))
    code = code_texted_to(session, joyce.mobile_e164)
    assert len(code) == 6 and code.isdigit()
    stored = session.get(SignInCode, token)
    assert stored.code_hash != code and code not in stored.code_hash
    member = signin.sign_in_with_code(session, token, code, now=at(1))
    assert member.id == joyce.id
    with pytest.raises(signin.CodeNotAccepted, match="already used"):
        signin.sign_in_with_code(session, token, code, now=at(2))


def test_a_code_expires_after_its_minutes(session, bank, joyce):
    policy = signin.CodePolicy(minutes=10, attempts=5)
    token = signin.request_sign_in_code(
        session, bank.id, bank.name, "07450120567", policy=policy, now=at(0)
    )
    code = code_texted_to(session, joyce.mobile_e164)
    with pytest.raises(signin.CodeNotAccepted, match="expired"):
        signin.sign_in_with_code(session, token, code, policy=policy, now=at(10.01))


def test_wrong_guesses_are_counted_and_the_code_dies_at_the_limit(session, bank, joyce):
    policy = signin.CodePolicy(minutes=10, attempts=3)
    token = signin.request_sign_in_code(
        session, bank.id, bank.name, "07450120567", policy=policy, now=at(0)
    )
    code = code_texted_to(session, joyce.mobile_e164)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(signin.CodeNotAccepted, match="2 more"):
        signin.sign_in_with_code(session, token, wrong, policy=policy, now=at(1))
    with pytest.raises(signin.CodeNotAccepted, match="1 more"):
        signin.sign_in_with_code(session, token, wrong, policy=policy, now=at(1))
    with pytest.raises(signin.CodeNotAccepted, match="no longer"):
        signin.sign_in_with_code(session, token, wrong, policy=policy, now=at(1))
    with pytest.raises(signin.CodeNotAccepted):
        signin.sign_in_with_code(session, token, code, policy=policy, now=at(2))


def test_unknown_number_gets_a_token_and_a_memberless_row_but_no_text(session, bank, joyce):
    token = signin.request_sign_in_code(session, bank.id, bank.name, "07999 000111", now=at(0))
    assert len(token) >= 40
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert session.get(SignInCode, token).member_id is None
    with pytest.raises(signin.CodeNotAccepted, match="4 more times"):
        signin.sign_in_with_code(session, token, "123456", now=at(1))
    assert session.get(SignInCode, token).failed_attempts == 1


def test_a_code_from_one_request_does_not_open_another(session, bank, joyce):
    first = signin.request_sign_in_code(session, bank.id, bank.name, "07450120567", now=at(0))
    first_code = code_texted_to(session, joyce.mobile_e164)
    second = signin.request_sign_in_code(session, bank.id, bank.name, "07450120567", now=at(1))
    second_code = code_texted_to(session, joyce.mobile_e164)
    if first_code != second_code:
        with pytest.raises(signin.CodeNotAccepted):
            signin.sign_in_with_code(session, second, first_code, now=at(2))
    assert signin.sign_in_with_code(session, first, first_code, now=at(2)).id == joyce.id


def test_codes_must_be_six_digits(session, bank, joyce):
    with pytest.raises(InvalidInput, match="6-digit"):
        signin.sign_in_with_code(session, "token", "12 34", now=at(0))


def test_new_passwords_need_eight_characters_typed_twice():
    with pytest.raises(InvalidInput, match="at least 8"):
        signin.check_new_password("short", "short")
    with pytest.raises(InvalidInput, match="not the same"):
        signin.check_new_password("blue kettle", "blue kettel")
    assert signin.check_new_password("blue kettle", "blue kettle") == "blue kettle"
