"""Signing in under attack: no enumeration of members, and limits no stranger can turn on them."""

from __future__ import annotations

import contextlib
import re
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
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


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


def _typical_seconds(runs: list[float]) -> float:
    """Return the fastest run: on a shared machine runs are now and then several
    milliseconds slower for reasons of their own, which can move a median or a quartile."""
    return min(runs)


def test_code_steps_take_about_as_long_for_a_stranger_as_for_a_member(
    database_url, bank, joyce, cheap_password_hashing
):
    # As in production, texts are sent by the worker, not by the page that queued them.
    with app_with(database_url, SMS_SEND_INLINE=False) as app:
        times: dict[str, list[float]] = {"member": [], "stranger": []}
        guesses: dict[str, list[float]] = {"member": [], "stranger": []}
        for _ in range(30):
            for who, mobile in (("member", JOYCE), ("stranger", STRANGER)):
                client = app.test_client()
                started = time.perf_counter()
                ask_for_code(client, bank, mobile)
                times[who].append(time.perf_counter() - started)
                started = time.perf_counter()
                enter(client, "000000")
                guesses[who].append(time.perf_counter() - started)
    for step in (times, guesses):
        member, stranger = _typical_seconds(step["member"]), _typical_seconds(step["stranger"])
        # Generous, for a busy machine; the test below checks the work itself.
        assert stranger > member / 2 and member > stranger / 2, (member, stranger)


def test_code_steps_do_the_same_database_work_for_a_stranger_as_for_a_member(
    database_url, bank, joyce
):
    with app_with(database_url, SMS_SEND_INLINE=False) as app:
        member, stranger = _database_work(app, bank, JOYCE), _database_work(app, bank, STRANGER)
    # Only the member's text is queued (in sms_outbox, left out above), in the same commit.
    assert member == stranger
    assert member.count("UPDATE sign_in_codes SET") == 1 and "INSERT INTO sign_in_codes" in member


def _database_work(app, bank, mobile: str) -> list[str]:
    """Return the writes and commits of asking for a code for `mobile` and one wrong guess."""
    import sqlalchemy as sa

    from timebank.extensions import db

    work: list[str] = []

    def statement(conn, cursor, sql, *args):
        words = sql.split()
        if words[0] in {"INSERT", "UPDATE", "DELETE", "COMMIT"} and "sms_outbox" not in sql:
            work.append(" ".join(words[:3]))

    def commit(conn):
        work.append("commit")

    sa.event.listen(db.engine, "before_cursor_execute", statement)
    sa.event.listen(db.engine, "commit", commit)
    try:
        client = app.test_client()
        ask_for_code(client, bank, mobile)
        enter(client, "000000")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", statement)
        sa.event.remove(db.engine, "commit", commit)
    return work


# --- Rate limits: count per address and identifier, never lock out a venue or a member ---


class ShiftedClock:
    """The rate limits' clock, moved forward by a test instead of waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def limits_clock(monkeypatch) -> ShiftedClock:
    """Return a clock the rate limits read, that `offset` moves forward."""
    import flask_limiter._extension
    import limits.storage.memory

    import timebank.web.security

    clock = ShiftedClock()
    for module in (limits.storage.memory, flask_limiter._extension, timebank.web.security):
        monkeypatch.setattr(module, "time", clock)
    return clock


def test_one_persons_bad_sign_ins_at_a_shared_address_do_not_stop_another_member(
    database_url, bank, joyce, sam, cheap_password_hashing
):
    with limited(database_url) as app:
        library = from_address(app, "198.51.100.7")
        refused = [sign_in(library, bank, password=f"guess {n}").status_code for n in range(40)]
        assert refused[-1] == 429  # the one who guesses is stopped...
        neighbour = from_address(app, "198.51.100.7")
        response = sign_in(neighbour, bank, "07450 555123", "river lamp orchard")
        assert response.status_code == 302  # ...the next person at the library is not
        other = from_address(app, "198.51.100.7")
        assert ask_for_code(other, bank, "07450 555123").status_code == 302


def test_a_venue_full_of_members_signing_in_is_not_stopped(
    database_url, session, bank, cheap_password_hashing
):
    with limited(database_url) as app:
        for n in range(30):
            mobile = f"07450 6{n:05d}"
            member = MemberFactory(bank=bank, display_name=f"Member {n}", mobile=mobile)
            set_password(session, bank.id, member.id, "river lamp orchard")
            client = from_address(app, "198.51.100.7")
            assert sign_in(client, bank, mobile, "a first mistake").status_code == 200
            assert sign_in(client, bank, mobile, "river lamp orchard").status_code == 302
            client.post("/sign-out")  # a shared computer: the next person starts afresh


def test_a_stranger_cannot_lock_a_member_out_for_a_day(
    database_url, bank, joyce, cheap_password_hashing, limits_clock
):
    with limited(database_url) as app:
        for n in range(20):  # from many addresses, so no per-address limit stops them
            stranger = from_address(app, f"203.0.113.{n}")
            for attempt in range(5):
                sign_in(stranger, bank, password=f"guess {n} {attempt}")
            ask_for_code(stranger, bank, JOYCE)
        home = from_address(app, "192.0.2.50")
        blocked = sign_in(home, bank)
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) <= 60 * 60
        limits_clock.offset = 61 * 60  # an hour later, not a day
        assert sign_in(home, bank).status_code == 302
        assert ask_for_code(app.test_client(), bank, JOYCE).status_code == 302


def test_the_same_number_typed_differently_counts_as_one_identifier(
    database_url, bank, joyce, cheap_password_hashing
):
    with limited(database_url, SIGN_IN_RATE_LIMIT="3 per hour") as app:
        client = from_address(app, "203.0.113.9")
        spellings = ["07450 120567", "+447450120567", "07450120567", "(07450) 120-567"]
        answers = [sign_in(client, bank, typed, "not it").status_code for typed in spellings]
        assert answers == [200, 200, 200, 429]


def test_the_too_many_tries_page_says_truthfully_how_long_to_wait(database_url, bank, joyce):
    with limited(database_url, SIGN_IN_RATE_LIMIT="2 per 5 minutes;3 per hour") as app:
        client = from_address(app, "203.0.113.9")
        for _ in range(2):
            assert sign_in(client, bank, password="not it").status_code == 200
        page = sign_in(client, bank, password="not it")
        assert page.status_code == 429
        assert 290 <= int(page.headers["Retry-After"]) <= 301
        assert "Please wait 5 minutes" in page.get_data(as_text=True)
        assert "a few minutes" not in page.get_data(as_text=True)


def test_the_wait_shown_is_the_longest_of_the_limits_reached(
    database_url, bank, joyce, limits_clock
):
    with limited(database_url, SIGN_IN_RATE_LIMIT="2 per minute;3 per hour") as app:
        client = from_address(app, "203.0.113.9")
        assert [sign_in(client, bank, password="no").status_code for _ in range(3)][-1] == 429
        limits_clock.offset = 61
        assert sign_in(client, bank, password="no").status_code == 200
        page = sign_in(client, bank, password="no")
        assert page.status_code == 429
        assert 58 * 60 <= int(page.headers["Retry-After"]) <= 60 * 60
        assert "Please wait 59 minutes" in page.get_data(as_text=True)


def test_code_requests_wait_for_the_limits_window_not_a_day(
    database_url, bank, joyce, limits_clock
):
    with limited(database_url) as app:
        client = from_address(app, "192.0.2.50")
        answers = [ask_for_code(client, bank, JOYCE).status_code for _ in range(4)]
        assert answers == [302, 302, 302, 429]
        assert len(app.extensions["timebank_sms"].sent) == 3
        limits_clock.offset = 11 * 60
        assert ask_for_code(client, bank, JOYCE).status_code == 302


# --- Behind a reverse proxy --------------------------------------------------------------


def test_behind_one_trusted_proxy_each_visitor_is_counted_at_their_own_address(
    database_url, bank, joyce
):
    with limited(
        database_url, TRUSTED_PROXY_COUNT=1, SIGN_IN_ADDRESS_RATE_LIMIT="2 per minute"
    ) as app:
        proxy = from_address(app, "127.0.0.1")
        first = {"X-Forwarded-For": "203.0.113.5"}
        answers = [
            proxy.post(
                "/sign-in",
                data={"bank": bank.slug, "identifier": f"0745012056{n}", "password": "x"},
                headers=first,
            ).status_code
            for n in range(3)
        ]
        assert answers == [200, 200, 429]
        other = {"X-Forwarded-For": "203.0.113.6"}
        data = {"bank": bank.slug, "identifier": "07450 000999", "password": "x"}
        assert proxy.post("/sign-in", data=data, headers=other).status_code == 200


def test_without_a_trusted_proxy_a_forged_forwarded_address_changes_nothing(
    database_url, bank, joyce
):
    with limited(database_url, SIGN_IN_ADDRESS_RATE_LIMIT="2 per minute") as app:
        client = from_address(app, "198.51.100.7")
        answers = [
            client.post(
                "/sign-in",
                data={"bank": bank.slug, "identifier": f"0745012056{n}", "password": "x"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(3)
        ]
        assert answers == [200, 200, 429]


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(1, "1 minute"), (60, "1 minute"), (61, "2 minutes"), (3600, "1 hour"), (3601, "2 hours")],
)
def test_a_wait_is_said_in_whole_minutes_rounded_up(seconds, said):
    from timebank.web.security import plain_wait

    assert plain_wait(seconds) == said
