"""The sign-in pages: password, code by text, rate limits, idle sign-out, CSRF, headers."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest

from tests.factories import MemberFactory
from tests.functional.ledger_pages import OwnContextClient
from timebank.members.signin import set_password

PASSWORD = "blue kettle garden"


@pytest.fixture
def joyce(session, bank):
    member = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    set_password(session, bank.id, member.id, PASSWORD)
    return member


@contextlib.contextmanager
def app_with(database_url: str, **settings):
    """Build a second app on the same database with some settings changed."""
    from timebank import create_app
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": database_url, **settings})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def sign_in(client, bank, identifier="07450 120567", password=PASSWORD, **extra):
    data = {"bank": bank.slug, "identifier": identifier, "password": password}
    return client.post("/sign-in", data=data, **extra)


def texted_code(app, to="+447450120567") -> str:
    text = app.extensions["timebank_sms"].last_to(to)
    assert text is not None, f"no text was sent to {to}"
    return re.match(r"(\d{6}) ", text.body).group(1)


def test_member_signs_in_with_mobile_and_password_and_sees_home(client, bank, joyce):
    response = sign_in(client, bank)
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert b"Signed in as Joyce Campbell" in client.get("/home").data


def test_wrong_password_shows_error_summary_and_keeps_the_number(client, bank, joyce):
    response = sign_in(client, bank, password="wrong password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and "<title>Error: Sign in" in page
    assert 'value="07450 120567"' in page
    assert "wrong password" not in page
    assert client.get("/home").status_code == 302


def test_empty_fields_get_a_message_beside_each(client, bank, joyce):
    page = client.post("/sign-in", data={"bank": bank.slug}).get_data(as_text=True)
    assert 'href="#identifier"' in page and 'href="#password"' in page
    assert 'id="identifier-error"' in page and 'aria-invalid="true"' in page


def test_next_only_follows_paths_on_this_site(client, bank, joyce):
    response = sign_in(client, bank, query_string={"next": "//evil.example/phish"})
    assert response.headers["Location"] == "/home"
    client.post("/sign-out")
    response = sign_in(client, bank, query_string={"next": "/history"})
    assert response.headers["Location"] == "/history"


def test_first_sign_in_by_text_code_then_choose_a_password(app, client, bank, session):
    member = MemberFactory(bank=bank, display_name="Sam Okafor", mobile="07450 555123")
    response = client.post("/sign-in/code", data={"bank": bank.slug, "mobile": "07450555123"})
    assert response.headers["Location"] == "/sign-in/code/enter"
    code = texted_code(app, "+447450555123")
    response = client.post("/sign-in/code/enter", data={"code": code})
    assert response.headers["Location"] == "/password"
    response = client.post("/password", data={"password": "new words", "confirmation": "new words"})
    assert response.headers["Location"] == "/home"
    client.post("/sign-out")
    response = sign_in(client, bank, "07450 555123", "new words")
    assert response.headers["Location"] == "/home"
    assert f"Signed in as {member.display_name}" in client.get("/home").get_data(as_text=True)


def test_code_request_reply_does_not_reveal_whether_a_number_is_registered(
    app, client, bank, joyce
):
    known = client.post("/sign-in/code", data={"bank": bank.slug, "mobile": "07450 120567"})
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    other = app.test_client()
    unknown = other.post("/sign-in/code", data={"bank": bank.slug, "mobile": "07999 000111"})
    unknown_page = other.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.headers["Location"] == unknown.headers["Location"]
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", known_page) == strip.sub("", unknown_page)
    assert len(app.extensions["timebank_sms"].sent) == 1


def test_wrong_code_says_how_many_tries_are_left(app, client, bank, joyce):
    client.post("/sign-in/code", data={"bank": bank.slug, "mobile": "07450 120567"})
    code = texted_code(app)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page = client.post("/sign-in/code/enter", data={"code": wrong}).get_data(as_text=True)
    assert "You can try 4 more times" in page
    assert client.get("/home").status_code == 302


def test_sign_out_ends_the_session(client, bank, joyce):
    sign_in(client, bank)
    response = client.post("/sign-out")
    assert response.headers["Location"] == "/sign-in"
    assert client.get("/home").headers["Location"].startswith("/sign-in")


def test_session_ends_after_the_idle_time(database_url, bank, joyce, monkeypatch):
    from timebank.clock import utcnow
    from timebank.web import sessions

    with app_with(database_url, SESSION_IDLE_MINUTES=30) as app:
        # Each request in a context of its own, as in production, so the member is looked
        # up afresh rather than kept from the previous request.
        client = OwnContextClient(app, app.response_class, use_cookies=True)
        sign_in(client, bank)
        assert client.get("/home").status_code == 200
        later = utcnow() + dt.timedelta(minutes=31)
        monkeypatch.setattr(sessions, "utcnow", lambda: later)
        response = client.get("/home")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        assert b"had not used the service" in client.get("/sign-in").data


def test_sign_in_attempts_are_rate_limited(database_url, bank, joyce):
    with app_with(database_url, RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute") as app:
        client = app.test_client()
        codes = [sign_in(client, bank, password="nope").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert b"Too many tries" in sign_in(client, bank).data


def test_code_requests_are_limited_per_number(database_url, bank, joyce):
    with app_with(
        database_url, RATELIMIT_ENABLED=True, CODE_REQUEST_RATE_LIMIT="2 per hour"
    ) as app:
        client = app.test_client()
        data = {"bank": bank.slug, "mobile": "07450 120567"}
        codes = [client.post("/sign-in/code", data=data).status_code for _ in range(3)]
        assert codes == [302, 302, 429]
        assert len(app.extensions["timebank_sms"].sent) == 2


def test_forms_without_a_csrf_token_are_refused(database_url, bank, joyce):
    with app_with(database_url, WTF_CSRF_ENABLED=True) as app:
        client = app.test_client()
        response = sign_in(client, bank)
        assert response.status_code == 400 and b"nothing was saved" in response.data
        page = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {"bank": bank.slug, "identifier": "07450 120567", "password": PASSWORD}
        response = client.post("/sign-in", data={**data, "csrf_token": token})
        assert response.status_code == 302


def test_pages_carry_security_headers(client):
    headers = client.get("/sign-in").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_not_cached(client, bank, joyce):
    sign_in(client, bank)
    assert client.get("/home").headers["Cache-Control"] == "no-store"


def test_production_cookies_are_secure_httponly_and_samesite(monkeypatch):
    from config import load_settings

    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", "postgresql://db.example/timebank")
    monkeypatch.setenv("TIMEBANK_SMS_BACKEND", "twilio")
    settings = load_settings("production")
    assert settings["SESSION_COOKIE_SECURE"] and settings["SESSION_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["REMEMBER_COOKIE_SECURE"]
    assert settings["STRICT_TRANSPORT_SECURITY"].startswith("max-age=")


def test_development_sms_page_is_absent_outside_development(client):
    assert client.get("/dev/sms").status_code == 404


def test_unknown_pages_get_a_plain_html_page_and_health_gets_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and b"Page not found" in page.data
    assert client.get("/healthz").is_json
