"""Signing in under attack: no enumeration of members, and limits no stranger can turn on them."""

from __future__ import annotations

import contextlib
import re
import statistics
import time

import pytest

from tests.factories import MemberFactory
from timebank.members.signin import set_password

PASSWORD = "blue kettle garden"
JOYCE = "07450 120567"
STRANGER = "07999 000111"
CSRF_VALUE = re.compile(r'(name="csrf_token" type="hidden" value=)"[^"]*"')


@pytest.fixture
def joyce(session, bank):
    """Return Joyce, an active member with a password."""
    member = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile=JOYCE)
    set_password(session, bank.id, member.id, PASSWORD)
    return member


@pytest.fixture
def sam(session, bank):
    """Return Sam, another active member with a password."""
    member = MemberFactory(bank=bank, display_name="Sam Okafor", mobile="07450 555123")
    set_password(session, bank.id, member.id, "river lamp orchard")
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


def limited(database_url: str, **settings):
    """Build an app with the rate limits on (the tests' settings turn them off)."""
    return app_with(database_url, RATELIMIT_ENABLED=True, **settings)


def from_address(app, address: str):
    """Return a test client whose requests come from `address`."""
    return app.test_client(environ_base={"REMOTE_ADDR": address})


def answer(response) -> tuple[int, str | None, str]:
    """Return what a visitor can see of an answer: status, redirect and page, less CSRF."""
    page = CSRF_VALUE.sub(r'\1""', response.get_data(as_text=True))
    return response.status_code, response.headers.get("Location"), page


def ask_for_code(client, bank, mobile):
    return client.post("/sign-in/code", data={"bank": bank.slug, "mobile": mobile})


def enter(client, code):
    return client.post("/sign-in/code/enter", data={"code": code})


def sign_in(client, bank, identifier=JOYCE, password=PASSWORD):
    data = {"bank": bank.slug, "identifier": identifier, "password": password}
    return client.post("/sign-in", data=data)


def texted_code(app, to="+447450120567") -> str:
    text = app.extensions["timebank_sms"].last_to(to)
    assert text is not None, f"no text was sent to {to}"
    return re.match(r"(\d{6}) ", text.body).group(1)


def other_than(code: str, step: int = 1) -> str:
    return f"{(int(code) + step) % 1_000_000:06d}"


# --- Enumeration: a member's number and a stranger's get the same answers --------------


def test_every_code_step_answers_a_members_number_and_a_strangers_alike(app, bank, joyce):
    member, stranger = app.test_client(), app.test_client()
    asked = ask_for_code(member, bank, JOYCE), ask_for_code(stranger, bank, STRANGER)
    assert answer(asked[0]) == answer(asked[1])
    assert answer(member.get("/sign-in/code/enter")) == answer(stranger.get("/sign-in/code/enter"))
    code = texted_code(app)
    first = enter(member, other_than(code)), enter(stranger, other_than(code))
    assert answer(first[0]) == answer(first[1])
    assert "You can try 4 more times" in first[0].get_data(as_text=True)
    for step in range(2, 8):  # through the last try, and past it
        wrong = other_than(code, step)
        assert answer(enter(member, wrong)) == answer(enter(stranger, wrong)), f"try {step}"
    # Out of tries: even the right code is refused, in the same words as for the stranger.
    last = enter(member, code), enter(stranger, code)
    assert answer(last[0]) == answer(last[1])
    assert "Ask for a new code" in last[0].get_data(as_text=True)
    assert member.get("/home").status_code == 302


def test_a_suspended_members_number_is_answered_like_a_strangers(app, session, bank, joyce):
    joyce.status = "suspended"
    session.commit()
    member, stranger = app.test_client(), app.test_client()
    assert answer(ask_for_code(member, bank, JOYCE)) == answer(
        ask_for_code(stranger, bank, STRANGER)
    )
    assert app.extensions["timebank_sms"].sent == []
    for code in ("123456", "654321"):
        assert answer(enter(member, code)) == answer(enter(stranger, code))


def test_a_strangers_number_gets_no_text_and_its_code_row_names_nobody(app, session, bank, joyce):
    import sqlalchemy as sa

    from timebank.members.models import SignInCode

    ask_for_code(app.test_client(), bank, STRANGER)
    assert app.extensions["timebank_sms"].sent == []
    row = session.scalar(sa.select(SignInCode))
    assert row.member_id is None and row.bank_id == bank.id
    assert "7999" not in " ".join(str(v) for v in vars(row).values())


def _median_seconds(runs: list[float]) -> float:
    return statistics.median(runs)


def test_code_steps_take_about_as_long_for_a_stranger_as_for_a_member(
    database_url, bank, joyce, cheap_password_hashing
):
    # As in production, texts are sent by the worker, not by the page that queued them.
    with app_with(database_url, SMS_SEND_INLINE=False) as app:
        times: dict[str, list[float]] = {"member": [], "stranger": []}
        guesses: dict[str, list[float]] = {"member": [], "stranger": []}
        for _ in range(25):
            for who, mobile in (("member", JOYCE), ("stranger", STRANGER)):
                client = app.test_client()
                started = time.perf_counter()
                ask_for_code(client, bank, mobile)
                times[who].append(time.perf_counter() - started)
                started = time.perf_counter()
                enter(client, "000000")
                guesses[who].append(time.perf_counter() - started)
    for step in (times, guesses):
        member, stranger = _median_seconds(step["member"]), _median_seconds(step["stranger"])
        # Generous, for a busy machine: a skipped write is several times faster.
        assert stranger > member / 2 and member > stranger / 2, (member, stranger)
