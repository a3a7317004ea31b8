"""Inviting imported members by text: once each, spaced out, in the daytime, by an admin only."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.clock import as_utc
from timebank.errors import InvalidInput, NotAllowed
from timebank.members.models import Member
from timebank.membership.services import set_member_status
from timebank.porting.invitations import PURPOSE, invite_imported_members, send_times
from timebank.porting.services import import_files
from timebank.sms.backends import FakeBackend
from timebank.sms.gsm import is_gsm7, segment_count
from timebank.sms.models import OutboxMessage
from timebank.sms.optouts import record_opt_out
from timebank.sms.outbox import send_queued
from timebank.tenancy.models import BrokerAction

# 10:00 in London (GMT in March), inside the 9:00 to 20:00 window.
MORNING = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
URL = "https://timebank.example.org/sign-in/code"
HEADER = "id,name,mobile,email,role,status,area,joined_at\n"


def members_csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def person(number: int, status: str = "active", mobile: bool = True) -> str:
    phone = f"07123 9000{number:02d}" if mobile else ""
    return f"m{number},Person {number},{phone},,member,{status},,2024-02-01"


def import_people(session, bank, *rows: str) -> None:
    outcome = import_files(session, bank.slug, [("members.csv", members_csv(*rows))], commit=True)
    assert outcome.committed, outcome.problems


def named(session, bank, name: str) -> Member:
    return session.scalar(
        sa.select(Member).where(Member.bank_id == bank.id, Member.display_name == name)
    )


def invitations(session, bank) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.bank_id == bank.id, OutboxMessage.purpose == PURPOSE)
            .order_by(OutboxMessage.id)
        )
    )


def invite(session, bank, admin, per_hour: int = 30, now: dt.datetime = MORNING, **options):
    return invite_imported_members(session, bank.id, admin.id, per_hour, now, URL, **options)


def test_each_imported_member_gets_one_text_spaced_by_the_rate(session, bank, admin):
    import_people(session, bank, *(person(n) for n in range(1, 5)))

    run = invite(session, bank, admin, per_hour=2)

    texts = invitations(session, bank)
    assert [as_utc(t.next_attempt_at) for t in texts] == [
        MORNING + dt.timedelta(minutes=30 * n) for n in range(4)
    ]
    assert [t.to_e164 for t in texts] == [f"+4471239000{n:02d}" for n in range(1, 5)]
    assert {t.status for t in texts} == {"queued"}
    assert [t.member_id for t in texts] == [
        named(session, bank, f"Person {n}").id for n in (1, 2, 3, 4)
    ]
    assert (run.queued, run.first_at, run.last_at) == (
        4,
        MORNING,
        MORNING + dt.timedelta(hours=1, minutes=30),
    )
    assert texts[0].body == (
        f"{bank.name}: sign in at {URL} with this mobile number "
        "and a code we text you. STOP to stop texts."
    )
    assert is_gsm7(texts[0].body) and segment_count(texts[0].body) == 1


def test_no_more_than_the_rate_go_in_any_hour(session, bank, admin):
    import_people(session, bank, *(person(n) for n in range(1, 21)))

    invite(session, bank, admin, per_hour=7)

    times = [as_utc(t.next_attempt_at) for t in invitations(session, bank)]
    assert len(times) == 20
    for start in times:
        assert sum(start <= other < start + dt.timedelta(hours=1) for other in times) <= 7


def test_texts_that_would_go_in_the_evening_wait_for_nine_in_the_morning(session, bank, admin):
    import_people(session, bank, *(person(n) for n in range(1, 4)))
    evening = dt.datetime(2026, 3, 2, 19, 10, tzinfo=dt.UTC)

    run = invite(session, bank, admin, per_hour=2, now=evening)

    next_morning = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
    assert [as_utc(t.next_attempt_at) for t in invitations(session, bank)] == [
        evening,
        evening + dt.timedelta(minutes=30),
        next_morning,
    ]
    assert run.last_at == next_morning


def test_the_daytime_is_the_bank_s_own_in_summer_time_too():
    # 23:30 UTC on 1 July is 00:30 in London: the first text waits for 9:00 BST, 08:00 UTC.
    late = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)
    times = send_times(late, 60, "Europe/London")

    assert next(times) == dt.datetime(2026, 7, 2, 8, 0, tzinfo=dt.UTC)
    assert next(times) == dt.datetime(2026, 7, 2, 8, 1, tzinfo=dt.UTC)


def test_only_active_reachable_imported_members_who_never_signed_in_are_invited(
    session, bank, admin
):
    import_people(session, bank, person(1), person(2), person(3), person(4), person(5),
                  person(6, status="left"), person(7, mobile=False))  # fmt: skip
    record_opt_out(session, bank.id, "+447123900002", MORNING)
    set_member_status(session, bank.id, named(session, bank, "Person 3").id, "suspended")
    named(session, bank, "Person 4").last_sign_in_at = MORNING - dt.timedelta(days=1)
    named(session, bank, "Person 5").do_not_contact = True
    session.commit()
    MemberFactory(bank=bank, display_name="Not Imported", mobile="07123 900099")
    other = TimeBankFactory()
    import_files(session, other.slug, [("members.csv", members_csv(person(8)))], commit=True)

    run = invite(session, bank, admin)

    assert run.queued == 1
    assert [t.to_e164 for t in invitations(session, bank)] == ["+447123900001"]
    assert invitations(session, other) == []


def test_running_again_invites_nobody_twice_and_new_imports_queue_after_the_first(
    session, bank, admin
):
    import_people(session, bank, person(1), person(2))
    invite(session, bank, admin, per_hour=4)

    again = invite(session, bank, admin, per_hour=4, now=MORNING + dt.timedelta(minutes=5))

    assert (again.queued, again.last_at) == (0, None)
    assert len(invitations(session, bank)) == 2
    import_people(session, bank, person(1), person(2), person(3))
    later = invite(session, bank, admin, per_hour=4, now=MORNING + dt.timedelta(minutes=5))
    times = [as_utc(t.next_attempt_at) for t in invitations(session, bank)]
    assert times == [MORNING + dt.timedelta(minutes=15 * n) for n in range(3)]
    assert later.queued == 1


def test_a_member_invited_once_is_not_invited_again_after_the_text_went(session, bank, admin):
    import_people(session, bank, person(1))
    invite(session, bank, admin)
    assert send_queued(session, FakeBackend(), now=lambda: MORNING) == 1

    assert invite(session, bank, admin, now=MORNING + dt.timedelta(days=3)).queued == 0


def test_the_worker_sends_no_invitation_before_its_time(session, bank, admin):
    import_people(session, bank, person(1), person(2), person(3))
    invite(session, bank, admin, per_hour=2)
    backend = FakeBackend()

    assert send_queued(session, backend, now=lambda: MORNING) == 1
    assert send_queued(session, backend, now=lambda: MORNING + dt.timedelta(minutes=29)) == 0
    assert send_queued(session, backend, now=lambda: MORNING + dt.timedelta(minutes=30)) == 1
    assert [text.to for text in backend.sent] == ["+447123900001", "+447123900002"]


def test_the_invitation_is_in_the_audit_trail(session, bank, admin):
    import_people(session, bank, person(1), person(2))

    invite(session, bank, admin, per_hour=10)

    line = session.scalar(
        sa.select(BrokerAction).where(BrokerAction.action == "imported_members_invited")
    )
    assert (line.bank_id, line.broker_id) == (bank.id, admin.id)
    assert line.detail.startswith("2 invitation(s) by text, 10 an hour")


def test_a_dry_run_counts_and_writes_nothing(session, bank, admin):
    import_people(session, bank, person(1), person(2))

    run = invite(session, bank, admin, per_hour=1, dry_run=True)

    assert (run.queued, run.last_at, run.dry_run) == (2, MORNING + dt.timedelta(hours=1), True)
    assert invitations(session, bank) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(BrokerAction)) == 0


@pytest.mark.parametrize("per_hour", [0, -5, 601])
def test_a_rate_out_of_bounds_is_refused(session, bank, admin, per_hour):
    import_people(session, bank, person(1))

    with pytest.raises(InvalidInput, match="1 to 600 texts an hour"):
        invite(session, bank, admin, per_hour=per_hour)

    assert invitations(session, bank) == []


def test_a_member_a_broker_and_another_bank_s_admin_are_refused(session, bank, admin, broker):
    import_people(session, bank, person(1))
    member = MemberFactory(bank=bank, display_name="Plain Member")
    stranger = MemberFactory(bank=TimeBankFactory(), role="admin")

    for who in (member, broker, stranger):
        with pytest.raises(NotAllowed):
            invite_imported_members(session, bank.id, who.id, 30, MORNING, URL)

    assert invitations(session, bank) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(BrokerAction)) == 0
