"""`flask bank sms`: the number a time bank is texted at, its sender and referral days."""

from __future__ import annotations

from tests.factories import TimeBankFactory


def run(app, *args):
    return app.test_cli_runner().invoke(args=["bank", "sms", *args])


def test_setting_the_number_normalises_it_and_shows_the_settings(app, session):
    bank = TimeBankFactory(slug="green")
    result = run(app, "green", "--number", "07400 000000", "--reply-days", "10")
    assert result.exit_code == 0, result.output
    assert "+447400000000" in result.output and "reply days:       10" in result.output
    session.refresh(bank)
    assert (bank.sms_number, bank.sms_sender, bank.referral_reply_days) == (
        "+447400000000",
        None,
        10,
    )


def test_a_messaging_service_can_be_the_sender(app, session):
    bank = TimeBankFactory(slug="green")
    sid = "MG" + "a" * 32
    assert run(app, "green", "--sender", sid).exit_code == 0
    session.refresh(bank)
    assert bank.sms_sender == sid


def test_two_banks_cannot_share_a_number(app):
    TimeBankFactory(slug="green")
    TimeBankFactory(slug="blue")
    assert run(app, "green", "--number", "07400 000000").exit_code == 0
    result = run(app, "blue", "--number", "+44 7400 000000")
    assert result.exit_code == 1 and "already the number of the time bank green" in result.output


def test_bad_input_is_refused_in_plain_words(app):
    TimeBankFactory(slug="green")
    assert "not a valid phone number" in run(app, "green", "--number", "12345").output
    assert "from 1 to 3650" in run(app, "green", "--retention-days", "0").output
    assert "no time bank called" in run(app, "nope", "--reply-days", "3").output
