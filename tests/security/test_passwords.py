"""Passwords: no common or guessable ones, and changing one needs the old one or a fresh code."""

from __future__ import annotations

import contextlib
import re

import pytest

from tests.factories import MemberFactory
from timebank.errors import InvalidInput
from timebank.members import signin
from timebank.members.passwords import common_passwords, password_matches

PASSWORD = "blue kettle garden"
JOYCE = "07450 120567"


@pytest.fixture
def joyce(session, bank):
    """Return Joyce Campbell, an active member with a password."""
    member = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile=JOYCE)
    signin.set_password(session, bank.id, member.id, PASSWORD)
    return member


@contextlib.contextmanager
def app_with(database_url: str, **settings):
    """Build an app on the same database with some settings changed."""
    from timebank import create_app
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": database_url, **settings})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def refusal(session, member, password: str) -> str:
    """Try to give `member` a password; return the plain-words refusal, or fail."""
    before = member.password_hash
    with pytest.raises(InvalidInput) as refused:
        signin.set_password(session, member.bank_id, member.id, password)
    session.refresh(member)
    assert member.password_hash == before, "a refused password must change nothing"
    return refused.value.message


def sign_in(client, bank, password=PASSWORD, identifier=JOYCE):
    data = {"bank": bank.slug, "identifier": identifier, "password": password}
    return client.post("/sign-in", data=data)


def sign_in_by_code(app, client, bank, mobile=JOYCE, to="+447450120567"):
    client.post("/sign-in/code", data={"bank": bank.slug, "mobile": mobile})
    text = app.extensions["timebank_sms"].last_to(to)
    code = re.match(r"(\d{6}) ", text.body).group(1)
    response = client.post("/sign-in/code/enter", data={"code": code})
    assert response.headers["Location"] == "/password"


def change(client, new, current=None, confirmation=None):
    data = {"password": new, "confirmation": confirmation or new}
    if current is not None:
        data["current"] = current
    return client.post("/password", data=data)


# --- The rules ------------------------------------------------------------------------


def test_the_common_password_list_holds_at_least_ten_thousand_passwords():
    listed = common_passwords()
    assert len(listed) >= 10_000
    assert {"password", "123456789", "qwerty", "iloveyou"} <= listed


@pytest.mark.parametrize(
    "password",
    ["password", "Password1!", "QWERTY123", "iloveyou2024", "letmein!!", "1234567890", "Sunshine1"],
)
def test_common_passwords_are_refused_whatever_their_case_or_trimmings(session, joyce, password):
    assert "one of the most common" in refusal(session, joyce, password)


@pytest.mark.parametrize("password", [" " * 8, " " * 30, "\u3000" * 9])
def test_a_password_of_only_spaces_is_refused(session, joyce, password):
    assert "only spaces" in refusal(session, joyce, password)


@pytest.mark.parametrize("password", ["x" * 19, "########", "éééééééééé", "7" * 13])
def test_a_password_of_one_repeated_character_is_refused(session, joyce, password):
    message = refusal(session, joyce, password)
    assert "one character" in message or "most common" in message


@pytest.mark.parametrize(
    "password",
    [
        "joyce is lovely",
        "tea with CAMPBELL",
        "JoYcE-1960-garden",
        "call 07450 120567",
        "x7450120567x",
    ],
)
def test_a_password_containing_the_members_own_name_or_number_is_refused(session, joyce, password):
    message = refusal(session, joyce, password)
    assert "your name" in message or "your mobile number" in message


def test_names_shorter_than_three_letters_do_not_count(session, bank):
    member = MemberFactory(bank=bank, display_name="Al Ng", mobile="07450 333444")
    signin.set_password(session, bank.id, member.id, "metal gong signal")
    assert password_matches(member.password_hash, "metal gong signal")


def test_a_few_uncommon_words_are_accepted(session, joyce):
    signin.set_password(session, joyce.bank_id, joyce.id, "river lamp orchard")
    session.refresh(joyce)
    assert password_matches(joyce.password_hash, "river lamp orchard")


def test_refusals_say_what_to_do_instead(session, joyce):
    for password in ("password1", " " * 10, "z" * 12, "joyce campbell"):
        message = refusal(session, joyce, password)
        assert "Choose" in message or "Try" in message, message


# --- Changing a password on the web ----------------------------------------------------


def test_changing_a_password_asks_for_the_current_one(app, client, session, bank, joyce):
    sign_in(client, bank)
    page = client.get("/password").get_data(as_text=True)
    assert 'name="current"' in page
    missing = change(client, "river lamp orchard")
    assert missing.status_code == 200 and "Enter your current password" in missing.get_data(
        as_text=True
    )
    wrong = change(client, "river lamp orchard", current="not my password")
    assert "current password is not right" in wrong.get_data(as_text=True)
    session.refresh(joyce)
    assert password_matches(joyce.password_hash, PASSWORD)
    right = change(client, "river lamp orchard", current=PASSWORD)
    assert right.headers["Location"] == "/home"
    session.refresh(joyce)
    assert password_matches(joyce.password_hash, "river lamp orchard")


def test_the_web_page_refuses_a_common_password_and_changes_nothing(client, session, bank, joyce):
    sign_in(client, bank)
    response = change(client, "Password123!", current=PASSWORD)
    assert response.status_code == 200
    assert "one of the most common" in response.get_data(as_text=True)
    session.refresh(joyce)
    assert password_matches(joyce.password_hash, PASSWORD)


def test_after_a_code_sign_in_the_member_chooses_a_password_without_the_old_one(
    app, client, session, bank, joyce
):
    sign_in_by_code(app, client, bank)
    assert 'name="current"' not in client.get("/password").get_data(as_text=True)
    assert change(client, "river lamp orchard").headers["Location"] == "/home"
    session.refresh(joyce)
    assert password_matches(joyce.password_hash, "river lamp orchard")
    # The code was good for one change: the next one asks for the password again.
    again = change(client, "silver moon teapot")
    assert "Enter your current password" in again.get_data(as_text=True)


def test_a_first_sign_in_by_code_sets_a_first_password(app, client, session, bank):
    sam = MemberFactory(bank=bank, display_name="Sam Okafor", mobile="07450 555123")
    sign_in_by_code(app, client, bank, "07450 555123", "+447450555123")
    assert change(client, "river lamp orchard").headers["Location"] == "/home"
    session.refresh(sam)
    assert password_matches(sam.password_hash, "river lamp orchard")


def test_a_code_sign_in_that_is_no_longer_fresh_needs_the_current_password(
    database_url, bank, joyce, cheap_password_hashing
):
    with app_with(database_url, PASSWORD_CHANGE_AFTER_CODE_MINUTES=0) as app:
        client = app.test_client()
        sign_in_by_code(app, client, bank)
        page = client.get("/password").get_data(as_text=True)
        assert 'name="current"' in page
        response = change(client, "river lamp orchard")
        assert "Enter your current password" in response.get_data(as_text=True)


def test_a_member_without_a_password_is_told_to_ask_for_a_fresh_code(
    database_url, bank, cheap_password_hashing
):
    MemberFactory(bank=bank, display_name="Sam Okafor", mobile="07450 555123")
    with app_with(database_url, PASSWORD_CHANGE_AFTER_CODE_MINUTES=0) as app:
        client = app.test_client()
        sign_in_by_code(app, client, bank, "07450 555123", "+447450555123")
        page = client.get("/password").get_data(as_text=True)
        assert 'name="current"' not in page
        assert "ask for a new code" in page and 'href="/sign-in/code"' in page
        response = change(client, "river lamp orchard", current="")
        assert response.status_code == 200 and "ask for a new code" in response.get_data(
            as_text=True
        )


def test_a_code_typed_in_another_browser_does_not_free_this_one(app, client, bank, joyce):
    sign_in(client, bank)
    other = app.test_client()
    sign_in_by_code(app, other, bank)
    response = change(client, "river lamp orchard")
    assert "Enter your current password" in response.get_data(as_text=True)


def test_guessing_the_current_password_on_a_computer_left_signed_in_is_slowed_down(
    database_url, bank, joyce, cheap_password_hashing
):
    with app_with(database_url, RATELIMIT_ENABLED=True) as app:
        client = app.test_client()
        sign_in(client, bank)
        answers = [change(client, "river lamp orchard", current=f"guess {n}") for n in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert "Please wait" in answers[-1].get_data(as_text=True)
