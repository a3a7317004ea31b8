"""Inviting imported members from the admin import page and from `flask bank invite-imported`."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, sign_in_as
from timebank.porting.invitations import PURPOSE
from timebank.porting.services import import_files
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import BrokerAction

MEMBERS = (
    b"id,name,mobile,joined_at\n"
    b"m1,Ann Archer,07123 900001,2024-02-01\n"
    b"m2,Ben Baker,07123 900002,2024-03-01\n"
    b"m3,Cleo Cole,,2024-03-01\n"
)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def imported(session, bank) -> None:
    outcome = import_files(session, bank.slug, [("members.csv", MEMBERS)], commit=True)
    assert outcome.committed, outcome.problems


def queued_to(session, bank) -> list[str]:
    session.rollback()
    return list(
        session.scalars(
            sa.select(OutboxMessage.to_e164)
            .where(OutboxMessage.bank_id == bank.id, OutboxMessage.purpose == PURPOSE)
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def csrf_on(app):
    """Return a switch that turns CSRF checks on, off again after the test."""
    yield lambda: app.config.update(WTF_CSRF_ENABLED=True)
    app.config["WTF_CSRF_ENABLED"] = False


def test_after_an_import_the_admin_invites_the_members_by_text(client, session, bank, admin):
    sign_in_as(client, admin)
    before = client.get("/admin/import")
    assert "Invite the imported members by text" not in text(before)
    imported(session, bank)

    page = client.get("/admin/import")

    assert "Invite the imported members by text" in text(page)
    assert "2 imported members with a mobile number have never signed in" in text(page)
    assert 'name="per_hour" type="number" value="30"' in page.get_data(as_text=True)

    done = client.post("/admin/import/invite", data={"per_hour": "20"}, follow_redirects=True)

    assert "Queued 2 invitation(s) to sign in, 20 an hour at most." in text(done)
    assert "Invite the imported members by text" not in text(done)
    assert queued_to(session, bank) == ["+447123900001", "+447123900002"]
    body = session.scalar(sa.select(OutboxMessage.body).where(OutboxMessage.purpose == PURPOSE))
    assert body.startswith(f"{bank.name}: sign in at http")
    assert "/sign-in/code with this mobile number" in body
    actions = session.scalars(sa.select(BrokerAction.action).where(BrokerAction.bank_id == bank.id))
    assert list(actions) == ["imported_members_invited"]

    again = client.post("/admin/import/invite", data={"per_hour": "20"}, follow_redirects=True)
    assert "Nobody to invite" in text(again)
    assert len(queued_to(session, bank)) == 2


@pytest.mark.parametrize("rate", ["0", "601", "ten", ""])
def test_a_rate_that_is_not_allowed_queues_nothing(client, session, bank, admin, rate):
    imported(session, bank)
    sign_in_as(client, admin)

    page = client.post("/admin/import/invite", data={"per_hour": rate}, follow_redirects=True)

    words = text(page)
    assert "texts an hour" in words or "as a whole number" in words
    assert queued_to(session, bank) == []


def test_the_invite_form_needs_its_csrf_token(client, session, bank, admin, csrf_on):
    imported(session, bank)
    sign_in_as(client, admin)
    csrf_on()

    client.post("/admin/import/invite", data={"per_hour": "30"})

    assert queued_to(session, bank) == []


def test_a_broker_cannot_invite(client, session, bank, broker):
    imported(session, bank)
    sign_in_as(client, broker)

    response = client.post("/admin/import/invite", data={"per_hour": "30"})

    assert response.status_code in (403, 404)
    assert queued_to(session, bank) == []


def run(app, *args):
    return app.test_cli_runner().invoke(args=["bank", "invite-imported", *args])


def test_the_command_counts_in_a_dry_run_then_queues(app, session, bank, admin):
    imported(session, bank)

    dry = run(app, bank.slug, "--per-hour", "1", "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert "Dry run: would invite 2 member(s), 1 an hour at most" in dry.output
    assert "Nothing was written." in dry.output
    assert queued_to(session, bank) == []

    done = run(app, bank.slug)

    assert done.exit_code == 0, done.output
    assert "Queued 2 invitation(s), 30 an hour at most; the last goes at" in done.output
    assert queued_to(session, bank) == ["+447123900001", "+447123900002"]
    again = run(app, bank.slug)
    assert "Nobody to invite" in again.output and len(queued_to(session, bank)) == 2


def test_the_command_acts_as_the_admin_named_by_mobile_and_no_one_else(app, session, bank, admin):
    imported(session, bank)
    MemberFactory(bank=bank, display_name="Plain Member", mobile="07123 555000")

    member = run(app, bank.slug, "--admin", "07123 555000")
    unknown = run(app, "no-such-bank")
    rate = run(app, bank.slug, "--per-hour", "0")

    assert member.exit_code == 1 and "has no active admin with that mobile number" in member.output
    assert unknown.exit_code == 1 and "There is no time bank called no-such-bank" in unknown.output
    assert rate.exit_code == 1 and "1 to 600 texts an hour" in rate.output
    assert queued_to(session, bank) == []
    named = run(app, bank.slug, "--admin", "07956 000001")
    assert named.exit_code == 0, named.output
    assert len(queued_to(session, bank)) == 2


def test_the_command_leaves_other_banks_alone(app, session, bank, admin):
    other = TimeBankFactory(slug="other")
    MemberFactory(bank=other, role="admin", mobile="07123 777000")
    imported(session, bank)

    result = run(app, "other")

    assert "Nobody to invite" in result.output
    assert queued_to(session, bank) == []


def test_the_page_upload_still_works_with_the_form_below(client, session, bank, admin):
    sign_in_as(client, admin)
    data = {"files": [(io.BytesIO(MEMBERS), "members.csv")]}

    checked = client.post("/admin/import", data=data, content_type="multipart/form-data")

    assert checked.status_code == 200 and "This would add 3 members" in text(checked)
