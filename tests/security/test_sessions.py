"""Sessions end when they should: on suspension, leaving, erasure, a change of role,
signing out, a password change, and after their lifetime; tokens stay dead."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from tests.functional.ledger_pages import (
    PASSWORD,
    OwnContextClient,
    hidden_value,
    signed_in,
    text_of,
)
from timebank.broker import outreach
from timebank.broker.models import MemberCheck, OutreachFlag
from timebank.clock import utcnow
from timebank.extensions import db
from timebank.members.models import Member, MemberSession
from timebank.membership.privacy import erase_member
from timebank.membership.services import set_member_role, set_member_status
from timebank.membership.tokens import create_token
from timebank.referrals.models import Referral
from timebank.referrals.sms import handle_invitation_answer, handle_refer
from timebank.sms.commands import parse_text
from timebank.sms.models import OutboxMessage
from timebank.web import sessions as web_sessions

PATIENT = "+447812345678"


@pytest.fixture
def joyce(bank):
    """Return Joyce Campbell, an ordinary member who joined 100 days ago."""
    long_ago = utcnow() - dt.timedelta(days=100)
    return MemberFactory(bank=bank, display_name="Joyce Campbell", now=lambda: long_ago)


@pytest.fixture
def as_broker(app, broker):
    """Return a browser with the broker signed in."""
    return signed_in(app, broker)


@pytest.fixture
def referral(session, bank, practice) -> Referral:
    """Return a referral the practice texted in, with the patient's mobile and reason."""
    now = utcnow()
    handle_refer(session, bank, practice, parse_text("REFER 07812 345678 Jane lonely"), now)
    handle_invitation_answer(session, bank, PATIENT, True, now)
    session.commit()
    return session.scalars(sa.select(Referral)).one()


@pytest.fixture
def clock(monkeypatch):
    """Return a function that moves the web's clock forward by a timedelta."""
    state = {"now": utcnow()}
    monkeypatch.setattr(web_sessions, "utcnow", lambda: state["now"])

    def forward(by: dt.timedelta) -> None:
        state["now"] += by

    return forward


def fresh(model, row_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, row_id)


def count(model, *where) -> int:
    db.session.rollback()
    found = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
    db.session.rollback()
    return found or 0


def is_sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def copy_of(app, client):
    """Return a second browser holding a copy of `client`'s session cookie."""
    other = OwnContextClient(app, app.response_class, use_cookies=True)
    cookie = client.get_cookie("session")
    assert cookie is not None
    other.set_cookie("session", cookie.value)
    return other


# --- Suspension, leaving, erasure, a change of role ----------------------------------


def test_a_suspended_brokers_open_session_can_no_longer_read_a_referral(
    session, bank, broker, as_broker, referral
):
    page = f"/broker/referrals/{referral.id}"
    assert as_broker.get(page).status_code == 200

    set_member_status(session, bank.id, broker.id, "suspended")

    response = as_broker.get(page)
    assert is_sent_to_sign_in(response)
    assert response.headers["Location"] == f"/sign-in?next=/broker/referrals/{referral.id}"
    assert "07812" not in response.get_data(as_text=True)
    assert as_broker.get(page).status_code == 302


def test_a_suspended_broker_cannot_record_a_safeguarding_check(
    session, bank, broker, as_broker, joyce
):
    set_member_status(session, bank.id, broker.id, "suspended")

    response = as_broker.post(
        f"/broker/members/{joyce.id}/checks", data={"checked_on": utcnow().date().isoformat()}
    )

    assert is_sent_to_sign_in(response)
    assert response.headers["Location"] == "/sign-in"  # never back to a form's address
    assert count(MemberCheck) == 0


def test_a_suspended_broker_cannot_text_a_member(session, bank, broker, as_broker, joyce):
    outreach.refresh_flags(session, bank.id, dt.date.today())
    flag_id = session.scalar(sa.select(OutreachFlag.id).filter_by(member_id=joyce.id))
    assert flag_id is not None
    set_member_status(session, bank.id, broker.id, "suspended")

    response = as_broker.post(
        f"/broker/outreach/{flag_id}/nudge", data={"nudge-text": "Hi Joyce, lunch on Friday?"}
    )

    assert is_sent_to_sign_in(response)
    assert count(OutboxMessage) == 0


def test_a_suspended_brokers_cookie_cannot_list_members_through_the_api(
    app, session, bank, broker, admin, as_broker
):
    assert as_broker.get("/api/v1/members").status_code == 200
    as_admin = signed_in(app, admin)

    changed = as_admin.patch(f"/api/v1/members/{broker.id}/status", json={"status": "suspended"})

    assert changed.status_code == 200
    response = as_broker.get("/api/v1/members")
    assert response.status_code == 401 and response.is_json
    assert "display_name" not in response.get_data(as_text=True)


def test_suspension_from_the_admin_page_signs_the_member_out_with_a_plain_message(
    app, bank, admin, joyce
):
    as_joyce = signed_in(app, joyce)
    as_admin = signed_in(app, admin)

    as_admin.post(f"/admin/members/{joyce.id}", data={"status": "suspended"})

    response = as_joyce.get("/home")
    assert is_sent_to_sign_in(response)
    assert "You are signed out" in text_of(as_joyce.get(response.headers["Location"]))


def test_reactivating_a_suspended_member_does_not_revive_their_old_session(
    app, session, bank, joyce
):
    as_joyce = signed_in(app, joyce)
    set_member_status(session, bank.id, joyce.id, "suspended")
    set_member_status(session, bank.id, joyce.id, "active")

    assert is_sent_to_sign_in(as_joyce.get("/home"))
    assert signed_in(app, joyce).get("/home").status_code == 200


def test_a_member_who_left_is_signed_out(app, session, bank, joyce):
    as_joyce = signed_in(app, joyce)
    assert as_joyce.get("/profile").status_code == 200

    set_member_status(session, bank.id, joyce.id, "left")

    assert is_sent_to_sign_in(as_joyce.get("/profile"))
    assert as_joyce.get("/api/v1/me").status_code == 401


def test_an_erased_member_is_signed_out_and_their_sessions_are_ended(app, session, bank, joyce):
    as_joyce = signed_in(app, joyce)
    set_member_status(session, bank.id, joyce.id, "left")
    erase_member(session, bank.id, joyce.id)

    assert is_sent_to_sign_in(as_joyce.get("/profile/my-data"))
    # Erasure also deletes the record of when they signed in.
    assert count(MemberSession, MemberSession.member_id == joyce.id) == 0


def test_leaving_ends_the_sessions_on_the_server_with_the_reason(app, session, bank, joyce):
    signed_in(app, joyce)
    signed_in(app, joyce)

    set_member_status(session, bank.id, joyce.id, "left")

    rows = db.session.scalars(sa.select(MemberSession).filter_by(member_id=joyce.id)).all()
    assert len(rows) == 2
    assert {(row.ended_reason, row.ended_at is not None) for row in rows} == {("left", True)}


def test_a_members_own_data_lists_their_sign_ins_without_the_session_id(app, bank, joyce):
    old = signed_in(app, joyce)
    old.post("/sign-out")
    as_joyce = signed_in(app, joyce)
    with as_joyce.session_transaction() as browser:
        session_id = browser["sid"]

    text = as_joyce.get("/profile/my-data/my-data.txt").get_data(as_text=True)

    assert "Times you signed in on the web" in text
    assert text.count("Signed in: ") == 2 and "Why it ended: You signed out" in text
    digests = set(db.session.scalars(sa.select(MemberSession.digest)))
    assert session_id not in text and not any(digest in text for digest in digests)


def test_a_role_change_from_broker_to_member_ends_the_session(app, bank, broker, admin, as_broker):
    assert as_broker.get("/broker").status_code == 200
    as_admin = signed_in(app, admin)

    response = as_admin.post(f"/admin/members/{broker.id}/role", data={"role": "member"})

    assert response.status_code == 302
    assert "need to sign in again" in text_of(as_admin.get(response.headers["Location"]))
    assert fresh(Member, broker.id).role == "member"
    answer = as_broker.get("/broker")
    assert is_sent_to_sign_in(answer)
    assert "Your role in the time bank has changed" in text_of(
        as_broker.get(answer.headers["Location"])
    )
    assert as_broker.get("/api/v1/members").status_code == 401
    # Signed in again, the member sees what a member sees.
    assert signed_in(app, broker).get("/broker").status_code == 403


def test_the_only_admin_cannot_be_made_a_member(app, session, bank, admin):
    as_admin = signed_in(app, admin)

    response = as_admin.post(f"/admin/members/{admin.id}/role", data={"role": "member"})

    assert response.status_code == 200
    assert "only admin of this time bank" in text_of(response)
    assert fresh(Member, admin.id).role == "admin"
    assert as_admin.get("/admin/members").status_code == 200


def test_a_session_opened_before_a_role_change_is_refused_even_without_the_service(
    app, session, bank, broker, as_broker
):
    """Defence in depth: a role changed by hand in the database still ends the session."""
    session.execute(sa.update(Member).where(Member.id == broker.id).values(role="member"))
    session.commit()

    assert is_sent_to_sign_in(as_broker.get("/broker"))


# --- Signing out, passwords, other devices ------------------------------------------------


def test_a_cookie_copied_before_sign_out_no_longer_works_after_it(app, bank, joyce):
    as_joyce = signed_in(app, joyce)
    thief = copy_of(app, as_joyce)
    assert thief.get("/home").status_code == 200

    as_joyce.post("/sign-out")

    assert is_sent_to_sign_in(thief.get("/home"))
    assert thief.get("/api/v1/me").status_code == 401


def test_a_password_change_ends_the_other_session_and_keeps_this_one(app, bank, joyce):
    phone = signed_in(app, joyce)
    laptop = signed_in(app, joyce)

    response = phone.post(
        "/password",
        data={
            "current": PASSWORD,
            "password": "new garden words",
            "confirmation": "new garden words",
        },
    )

    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert phone.get("/home").status_code == 200
    answer = laptop.get("/home")
    assert is_sent_to_sign_in(answer)
    assert "the password was changed" in text_of(laptop.get(answer.headers["Location"]))


def test_signing_out_of_all_other_devices_ends_them_and_says_how_many(app, bank, joyce):
    here = signed_in(app, joyce)
    phone = signed_in(app, joyce)
    tablet = signed_in(app, joyce)
    assert "also signed in on 2 other devices" in text_of(here.get("/profile"))

    response = here.post("/profile/sign-out-others", follow_redirects=True)

    assert "You are signed out of 2 other devices" in text_of(response)
    assert "not signed in anywhere else" in text_of(response)
    assert is_sent_to_sign_in(phone.get("/home")) and is_sent_to_sign_in(tablet.get("/home"))
    assert here.get("/home").status_code == 200
    again = here.post("/profile/sign-out-others", follow_redirects=True)
    assert "You were not signed in anywhere else" in text_of(again)


def test_signing_out_of_other_devices_leaves_other_members_alone(app, bank, joyce, broker):
    here = signed_in(app, joyce)
    someone_else = signed_in(app, broker)

    here.post("/profile/sign-out-others")

    assert someone_else.get("/home").status_code == 200


def test_signing_out_of_other_devices_needs_the_csrf_token(database_url, bank, joyce):
    from tests.functional.test_web_sign_in import app_with
    from timebank.members.signin import set_password

    set_password(db.session, bank.id, joyce.id, PASSWORD)

    def browser_signed_in(csrf_app):
        browser = OwnContextClient(csrf_app, csrf_app.response_class, use_cookies=True)
        token = hidden_value(browser.get("/sign-in"), "csrf_token")
        data = {"bank": bank.slug, "identifier": joyce.mobile_e164, "password": PASSWORD}
        assert browser.post("/sign-in", data={**data, "csrf_token": token}).status_code == 302
        return browser

    with app_with(database_url, WTF_CSRF_ENABLED=True) as csrf_app:
        here, phone = browser_signed_in(csrf_app), browser_signed_in(csrf_app)

        response = here.post("/profile/sign-out-others")

        assert response.status_code == 400
        assert phone.get("/home").status_code == 200
        token = hidden_value(here.get("/profile"), "csrf_token")
        here.post("/profile/sign-out-others", data={"csrf_token": token})
        assert is_sent_to_sign_in(phone.get("/home"))


# --- Lifetime and idle time ------------------------------------------------------------


def test_a_session_ends_after_its_lifetime_however_busy(app, bank, joyce, clock):
    as_joyce = signed_in(app, joyce)
    for _ in range(14):  # 14 x 50 minutes = 11 h 40 min, never idle for an hour
        clock(dt.timedelta(minutes=50))
        assert as_joyce.get("/home").status_code == 200
    clock(dt.timedelta(minutes=21))

    answer = as_joyce.get("/home")

    assert is_sent_to_sign_in(answer)
    assert "signed in for a long time" in text_of(as_joyce.get(answer.headers["Location"]))
    assert signed_in(app, joyce).get("/home").status_code == 200


def test_the_lifetime_is_a_setting(database_url, bank, joyce, clock):
    from tests.functional.test_web_sign_in import app_with

    with app_with(database_url, SESSION_MAX_HOURS=1) as short:
        as_joyce = signed_in(short, joyce)
        clock(dt.timedelta(minutes=59))
        assert as_joyce.get("/home").status_code == 200
        clock(dt.timedelta(minutes=2))
        assert is_sent_to_sign_in(as_joyce.get("/home"))


def test_a_session_unused_for_the_idle_time_ends_even_with_a_fresh_cookie(app, bank, joyce, clock):
    as_joyce = signed_in(app, joyce)
    clock(dt.timedelta(minutes=61))

    assert is_sent_to_sign_in(as_joyce.get("/home"))


def test_last_seen_is_written_at_most_once_a_minute(app, bank, joyce, clock):
    as_joyce = signed_in(app, joyce)
    (row,) = db.session.scalars(sa.select(MemberSession)).all()
    opened = row.last_seen_at
    db.session.rollback()
    clock(dt.timedelta(seconds=30))
    as_joyce.get("/home")
    assert fresh(MemberSession, row.id).last_seen_at == opened
    clock(dt.timedelta(seconds=31))
    as_joyce.get("/home")
    assert fresh(MemberSession, row.id).last_seen_at > opened


# --- What is stored, and what a token call touches --------------------------------------


def test_only_a_digest_of_the_session_id_is_stored(app, bank, joyce):
    as_joyce = signed_in(app, joyce)
    with as_joyce.session_transaction() as browser:
        session_id = browser["sid"]

    (row,) = db.session.scalars(sa.select(MemberSession)).all()

    assert len(session_id) >= 40
    assert row.digest == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in {str(value) for value in row.__dict__.values()}
    assert (row.member_id, row.role, row.ended_at) == (joyce.id, "member", None)


def test_a_cookie_from_before_server_sessions_is_signed_out(app, bank, joyce):
    as_joyce = signed_in(app, joyce)
    with as_joyce.session_transaction() as browser:
        del browser["sid"]

    assert is_sent_to_sign_in(as_joyce.get("/home"))


def test_a_session_cannot_be_moved_to_another_member(app, bank, joyce, broker):
    as_joyce = signed_in(app, joyce)
    with as_joyce.session_transaction() as browser:
        browser["_user_id"] = str(broker.id)

    assert is_sent_to_sign_in(as_joyce.get("/broker"))


def test_a_bearer_token_call_never_reads_the_session_table(app, session, bank, broker):
    token = create_token(session, bank.id, broker.id, "Phone app")[1]
    browser = signed_in(app, broker)
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = browser.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)

    assert response.status_code == 200
    assert statements and not any("member_sessions" in sql for sql in statements)


# --- Tokens -------------------------------------------------------------------------------


def test_a_suspended_members_token_stays_dead_after_reactivation(app, session, bank, joyce):
    token = create_token(session, bank.id, joyce.id, "Phone app")[1]
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=bearer).status_code == 200

    set_member_status(session, bank.id, joyce.id, "suspended")
    set_member_status(session, bank.id, joyce.id, "active")

    assert api.get("/api/v1/me", headers=bearer).status_code == 401
    fresh_token = create_token(session, bank.id, joyce.id, "New phone")[1]
    assert (
        api.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh_token}"}).status_code == 200
    )


def test_a_member_who_left_and_came_back_has_no_working_old_token(app, session, bank, joyce):
    token = create_token(session, bank.id, joyce.id, "Phone app")[1]
    set_member_status(session, bank.id, joyce.id, "left")
    set_member_status(session, bank.id, joyce.id, "active")

    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_a_demoted_broker_loses_broker_tokens_and_keeps_member_ones(
    app, session, bank, broker, admin
):
    broker_token = create_token(session, bank.id, broker.id, "Broker tablet")[1]
    member_token = create_token(session, bank.id, broker.id, "Phone", role="member")[1]

    set_member_role(session, bank.id, broker.id, "member")

    api = app.test_client()
    as_broker = {"Authorization": f"Bearer {broker_token}"}
    as_member = {"Authorization": f"Bearer {member_token}"}
    assert api.get("/api/v1/members", headers=as_broker).status_code == 401
    assert api.get("/api/v1/me", headers=as_member).status_code == 200
    assert api.get("/api/v1/members", headers=as_member).status_code == 403


def test_promotion_keeps_tokens_and_ends_sessions(app, session, bank, joyce, admin):
    token = create_token(session, bank.id, joyce.id, "Phone")[1]
    as_joyce = signed_in(app, joyce)

    set_member_role(session, bank.id, joyce.id, "broker")

    assert is_sent_to_sign_in(as_joyce.get("/home"))
    answer = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


# --- Last sign-in ---------------------------------------------------------------------------


def test_brokers_and_admins_see_when_a_member_last_signed_in(app, bank, broker, admin, joyce):
    as_broker = signed_in(app, broker)
    before = text_of(as_broker.get(f"/broker/members/{joyce.id}"))
    assert "Last signed in Never signed in" in before

    signed_in(app, joyce)

    after = text_of(as_broker.get(f"/broker/members/{joyce.id}"))
    today = utcnow().astimezone(dt.UTC)
    assert "Never signed in" not in after
    assert f"Last signed in {today.day} " in after and str(today.year) in after
    admin_page = text_of(signed_in(app, admin).get(f"/admin/members/{joyce.id}"))
    assert "Last signed in" in admin_page and "Never signed in" not in admin_page


def test_members_do_not_see_when_another_member_last_signed_in(app, bank, joyce, broker):
    signed_in(app, broker)
    as_joyce = signed_in(app, joyce)

    page = as_joyce.get(f"/members/{broker.id}")

    assert page.status_code == 200
    assert "signed in" not in text_of(page).replace("Signed in as Joyce Campbell", "")
    assert as_joyce.get(f"/broker/members/{broker.id}").status_code == 403


# --- Clean-up ---------------------------------------------------------------------------------


def test_sessions_ended_over_30_days_ago_are_purged_by_the_scheduled_command(
    app, session, bank, joyce
):
    from timebank.schedule import JOBS

    for _ in range(3):
        signed_in(app, joyce)
    old, recent, live = db.session.scalars(sa.select(MemberSession).order_by(MemberSession.id))
    now = utcnow()
    old.ended_at, old.ended_reason = now - dt.timedelta(days=31), "signed_out"
    recent.ended_at, recent.ended_reason = now - dt.timedelta(days=29), "signed_out"
    db.session.commit()
    ids = (old.id, recent.id, live.id)

    result = app.test_cli_runner().invoke(args=["sessions", "purge"])

    assert result.exit_code == 0 and "Deleted 1 session" in result.output
    left = set(db.session.scalars(sa.select(MemberSession.id)))
    assert left == {ids[1], ids[2]}
    assert ("sessions", "purge") in {job.command for job in JOBS}


def test_a_session_never_ended_is_purged_30_days_after_it_ran_out(app, session, bank, joyce):
    signed_in(app, joyce)
    row = db.session.scalars(sa.select(MemberSession)).one()
    row.created_at = row.last_seen_at = utcnow() - dt.timedelta(days=30, hours=13)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["sessions", "purge"])

    assert "Deleted 1 session" in result.output
    assert count(MemberSession) == 0


def test_an_admin_changes_a_role_through_the_api_and_the_old_token_stops(
    app, session, bank, broker, admin
):
    admin_token = create_token(session, bank.id, admin.id, "Admin app")[1]
    broker_token = create_token(session, bank.id, broker.id, "Broker tablet")[1]
    as_broker = signed_in(app, broker)
    api = app.test_client()

    response = api.patch(
        f"/api/v1/members/{broker.id}/role",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"role": "member"},
    )

    assert response.status_code == 200 and response.get_json()["role"] == "member"
    assert (
        api.get("/api/v1/me", headers={"Authorization": f"Bearer {broker_token}"}).status_code
        == 401
    )
    assert is_sent_to_sign_in(as_broker.get("/home"))


@pytest.mark.parametrize("role", ["owner", "", None, "practice"])
def test_an_unknown_role_is_refused_and_changes_nothing(app, session, bank, broker, admin, role):
    admin_token = create_token(session, bank.id, admin.id, "Admin app")[1]
    as_broker = signed_in(app, broker)

    response = app.test_client().patch(
        f"/api/v1/members/{broker.id}/role",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"role": role},
    )

    assert response.status_code == 422
    assert fresh(Member, broker.id).role == "broker"
    assert as_broker.get("/broker").status_code == 200


def test_a_broker_cannot_change_roles(app, session, bank, broker, joyce):
    as_broker = signed_in(app, broker)

    through_api = as_broker.patch(f"/api/v1/members/{joyce.id}/role", json={"role": "admin"})
    through_page = as_broker.post(f"/admin/members/{joyce.id}/role", data={"role": "admin"})

    assert through_api.status_code == 403 and through_page.status_code == 403
    assert fresh(Member, joyce.id).role == "member"


def test_another_banks_member_keeps_their_role(app, session, bank, admin):
    from tests.factories import TimeBankFactory

    stranger = MemberFactory(bank=TimeBankFactory(), display_name="Otto Other", role="broker")
    as_admin = signed_in(app, admin)

    page = as_admin.post(f"/admin/members/{stranger.id}/role", data={"role": "member"})
    api = as_admin.patch(f"/api/v1/members/{stranger.id}/role", json={"role": "member"})

    assert page.status_code == 404 and api.status_code == 404
    assert fresh(Member, stranger.id).role == "broker"
