"""The health check and the project's flask commands, run as an operator would."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from tests.factories import MemberFactory
from timebank import create_app
from timebank.ledger.services import ExchangeRequest, record_exchange


def test_healthz_answers_200_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    app = create_app("testing", {"DATABASE_URL": f"sqlite:///{missing}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_ledger_verify_passes_on_a_sound_ledger(app, session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    record_exchange(session, ExchangeRequest(uuid.uuid4(), bank.id, sam.id, jo.id, 60, jo.id))
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "Ledger OK" in result.output
    assert "1 transfer(s)" in result.output


def test_ledger_verify_fails_when_an_account_disagrees_with_the_log(app, session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    record_exchange(session, ExchangeRequest(uuid.uuid4(), bank.id, sam.id, jo.id, 60, jo.id))
    session.execute(sa.text("UPDATE accounts SET credits_posted = credits_posted + 5"))
    session.commit()
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "differ from the log" in result.output
    assert "PROBLEM" in result.output


def test_ledger_expire_confirms_old_pending_exchanges(app, session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=bank.confirm_days + 1)
    record_exchange(
        session,
        ExchangeRequest(uuid.uuid4(), bank.id, sam.id, jo.id, 60, sam.id),
        now=lambda: long_ago,
    )
    result = app.test_cli_runner().invoke(args=["ledger", "expire"])
    assert result.exit_code == 0, result.output
    assert "Confirmed 1" in result.output


FIRST_ADMIN = ("--admin-name", "Ada Lovelace", "--admin-mobile", "07956 000001")


def test_bank_create_and_list(app):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["bank", "create", "lewisham", "Lewisham Time Bank", *FIRST_ADMIN])
    assert created.exit_code == 0, created.output
    listed = runner.invoke(args=["bank", "list"])
    assert "lewisham" in listed.output and "Lewisham Time Bank" in listed.output


def test_bank_create_explains_a_bad_short_name(app):
    result = app.test_cli_runner().invoke(
        args=["bank", "create", "Bad Slug!", "Name", *FIRST_ADMIN]
    )
    assert result.exit_code != 0
    assert "lower-case letters" in result.output


def test_front_page_lists_the_time_banks_on_this_service(client, bank):
    response = client.get("/")
    assert response.status_code == 200
    assert bank.name in response.get_data(as_text=True)
