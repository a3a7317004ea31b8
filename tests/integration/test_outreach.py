"""Outreach flags persist from the dormancy scan, and every broker action on them is recorded."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, member_joined, noon_on
from timebank.broker import outreach, outreach_actions, outreach_worklist, scan
from timebank.broker.models import OutreachContact, OutreachFlag
from timebank.errors import InvalidInput, NotAllowed, NotFound
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.models import Member
from timebank.sms.models import OutboxMessage
from timebank.sms.optouts import record_opt_out
from timebank.tenancy.models import BrokerAction

TODAY = dt.date(2025, 6, 30)
LONG_AGO = dt.date(2024, 1, 1)


clock = noon_on


def member(bank, name: str, joined: dt.date = LONG_AGO, **fields) -> Member:
    return member_joined(bank, name, joined, **fields)


def gave(session, bank, by, giver, receiver, day: dt.date) -> None:
    """Record an hour `giver` gave `receiver` on `day`, logged by a broker so it posts at once."""
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, by.id, day)
    record_exchange(session, request, now=clock(day))


def refresh(session, bank, day: dt.date = TODAY) -> outreach.RefreshSummary:
    return outreach.refresh_flags(session, bank.id, day, now=clock(day))


def stored(session, bank, **where) -> list[OutreachFlag]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(OutreachFlag)
            .filter_by(bank_id=bank.id, **where)
            .order_by(OutreachFlag.member_id, OutreachFlag.rule, OutreachFlag.id)
        )
    )


def flag_of(session, bank, who: Member, rule: str = "inactive") -> OutreachFlag:
    (flag,) = stored(session, bank, member_id=who.id, rule=rule)
    return flag


def actions(session, bank) -> list[tuple[str, int, int | None, str]]:
    rows = session.scalars(
        sa.select(BrokerAction).filter_by(bank_id=bank.id).order_by(BrokerAction.id)
    )
    return [(row.action, row.broker_id, row.member_id, row.subject) for row in rows]


@pytest.fixture
def hal(bank):
    """Return Hal, a second broker who trades too (staff are never flagged)."""
    return member(bank, "Hal Helper", joined=TODAY, role="broker")


@pytest.fixture
def ivy(session, bank, broker, hal):
    """Return Ivy, whose last exchange was on 1 April: inactive for 90 days on TODAY."""
    ivy = member(bank, "Ivy Idle")
    gave(session, bank, broker, ivy, hal, dt.date(2025, 4, 1))
    gave(session, bank, broker, hal, ivy, dt.date(2025, 4, 1))
    return ivy


@pytest.fixture
def ivy_flag(session, bank, ivy):
    """Return Ivy's open inactive flag, raised by a refresh on TODAY."""
    refresh(session, bank)
    return flag_of(session, bank, ivy)


# --- The refresh -----------------------------------------------------------------------------


def test_refresh_raises_an_open_flag_for_each_reason_the_scan_gives(session, bank, broker, ivy):
    fay = member(bank, "Fay First", joined=dt.date(2025, 5, 1))

    summary = refresh(session, bank)

    assert (summary.raised, summary.refreshed, summary.cleared, summary.reopened) == (2, 0, 0, 0)
    flags = {(f.member_id, f.rule): f for f in stored(session, bank)}
    assert set(flags) == {(ivy.id, "inactive"), (fay.id, "no_first_exchange")}
    inactive = flags[(ivy.id, "inactive")]
    assert inactive.status == "open" and inactive.since == dt.date(2025, 4, 1)
    assert inactive.reason == "No exchange for 90 days (since 1 April)."
    assert inactive.assigned_to_id is None and inactive.resolved_at is None


def test_running_the_refresh_twice_changes_nothing(session, bank, ivy):
    member(bank, "Fay First", joined=dt.date(2025, 5, 1))
    refresh(session, bank)
    before = [(f.id, f.rule, f.status, f.reason, f.since) for f in stored(session, bank)]

    summary = refresh(session, bank)

    assert (summary.raised, summary.refreshed, summary.cleared, summary.reopened) == (0, 0, 0, 0)
    assert [(f.id, f.rule, f.status, f.reason, f.since) for f in stored(session, bank)] == before


def test_a_later_refresh_updates_the_words_of_the_same_flag(session, bank, ivy, ivy_flag):
    later = TODAY + dt.timedelta(days=10)

    summary = refresh(session, bank, later)

    flag = flag_of(session, bank, ivy)
    assert summary.refreshed == 1 and summary.raised == 0
    assert flag.id == ivy_flag.id and flag.status == "open"
    assert flag.reason == "No exchange for 100 days (since 1 April)."
    assert flag.seen_at.replace(tzinfo=dt.UTC) == clock(later)()


def test_a_flag_clears_itself_when_the_member_trades_again(session, bank, broker, hal, ivy_flag):
    gave(session, bank, broker, hal, session.get(Member, ivy_flag.member_id), TODAY)

    summary = refresh(session, bank)

    (flag,) = stored(session, bank, id=ivy_flag.id)
    assert summary.cleared == 1 and summary.raised == 0
    assert flag.status == "cleared" and flag.resolved_by_id is None
    assert flag.resolved_at is not None and flag.outcome is None
    assert stored(session, bank, status="open") == []


def test_a_snoozed_flag_comes_back_on_its_day(session, bank, broker, ivy, ivy_flag):
    until = TODAY + dt.timedelta(days=7)
    outreach_actions.snooze(session, bank.id, ivy_flag.id, broker.id, until, now=clock(TODAY))

    early = refresh(session, bank, until - dt.timedelta(days=1))
    assert early.reopened == 0 and flag_of(session, bank, ivy).status == "snoozed"
    on_the_day = refresh(session, bank, until)

    flag = flag_of(session, bank, ivy)
    assert on_the_day.reopened == 1
    assert flag.status == "open" and flag.snoozed_until is None and flag.id == ivy_flag.id


def test_a_snoozed_flag_still_clears_when_the_member_trades(session, bank, broker, hal, ivy_flag):
    until = TODAY + dt.timedelta(days=30)
    outreach_actions.snooze(session, bank.id, ivy_flag.id, broker.id, until, now=clock(TODAY))
    gave(session, bank, broker, session.get(Member, ivy_flag.member_id), hal, TODAY)

    assert refresh(session, bank).cleared == 1
    assert stored(session, bank, id=ivy_flag.id)[0].status == "cleared"


def test_left_members_do_not_contact_members_and_brokers_are_never_flagged(session, bank, broker):
    member(bank, "Lea Left", status="left")
    quiet = member(bank, "Quinn Quiet")
    quiet.do_not_contact = True
    session.commit()
    MemberFactory(bank=bank, display_name="Ada Admin", role="admin", now=clock(LONG_AGO))

    summary = refresh(session, bank)

    assert summary.raised == 0 and stored(session, bank) == []


def test_a_member_who_leaves_has_their_open_flags_cleared(session, bank, ivy, ivy_flag):
    ivy.status = "left"
    session.commit()

    assert refresh(session, bank).cleared == 1
    assert stored(session, bank, id=ivy_flag.id)[0].status == "cleared"


def test_the_banks_own_settings_decide_when_a_member_is_flagged(session, broker, hal):
    bank = TimeBankFactory()
    bank.dormant_after_days, bank.first_exchange_days = 100, 70
    session.commit()
    member(bank, "Fay First", joined=dt.date(2025, 5, 1))
    ivy = member(bank, "Ivy Idle")
    helper = member(bank, "Hana Helper", joined=TODAY, role="broker")
    staff = MemberFactory(bank=bank, role="broker", now=clock(LONG_AGO))
    gave(session, bank, staff, ivy, helper, dt.date(2025, 4, 1))

    assert refresh(session, bank).raised == 0
    assert refresh(session, bank, TODAY + dt.timedelta(days=10)).raised == 2


def test_a_resolved_flag_is_not_raised_again_in_the_same_quiet_spell(
    session, bank, broker, hal, ivy, ivy_flag
):
    outreach_actions.resolve(
        session, bank.id, ivy_flag.id, broker.id, "re_engaged", now=clock(TODAY)
    )

    next_day = refresh(session, bank, TODAY + dt.timedelta(days=1))
    # After the bank's dormant_after_days (60) the member is checked on again.
    much_later = refresh(session, bank, TODAY + dt.timedelta(days=61))

    assert next_day.raised == 0
    assert much_later.raised == 1
    assert [f.status for f in stored(session, bank, member_id=ivy.id)] == ["resolved", "open"]


def test_a_new_quiet_spell_after_a_resolution_raises_a_new_flag(
    session, bank, broker, hal, ivy, ivy_flag
):
    outreach_actions.resolve(
        session, bank.id, ivy_flag.id, broker.id, "re_engaged", now=clock(TODAY)
    )
    gave(session, bank, broker, ivy, hal, TODAY + dt.timedelta(days=1))

    assert refresh(session, bank, TODAY + dt.timedelta(days=59)).raised == 0
    assert refresh(session, bank, TODAY + dt.timedelta(days=62)).raised == 1
    open_flag = stored(session, bank, member_id=ivy.id, status="open")[0]
    assert open_flag.since == TODAY + dt.timedelta(days=1)


def test_the_refresh_keeps_only_one_open_flag_per_member_and_reason(session, bank, ivy, ivy_flag):
    session.add(
        OutreachFlag(
            bank_id=bank.id, member_id=ivy.id, rule="inactive", reason="Again.", since=TODAY
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    session.rollback()


# --- Broker actions --------------------------------------------------------------------------


def test_assigning_gives_all_the_members_open_flags_to_a_broker_and_is_audited(
    session, bank, broker, ivy, ivy_flag
):
    grace = MemberFactory(bank=bank, display_name="Grace Broker", role="broker")
    # Ivy also has an unanswered offer flag: one assignment covers both.
    session.add(
        OutreachFlag(
            bank_id=bank.id, member_id=ivy.id, rule="only_giving", reason="Gives.", since=TODAY
        )
    )
    session.commit()
    before = dt.datetime.now(dt.UTC)

    outreach_actions.assign(session, bank.id, ivy_flag.id, broker.id, grace.id)

    assert {f.assigned_to_id for f in stored(session, bank, member_id=ivy.id)} == {grace.id}
    (line,) = session.scalars(sa.select(BrokerAction))
    assert (line.action, line.broker_id, line.member_id) == ("flag_assigned", broker.id, ivy.id)
    assert line.subject == f"flag:{ivy_flag.id}" and "Grace Broker" in line.detail
    assert line.at.replace(tzinfo=dt.UTC) >= before - dt.timedelta(seconds=1)


def test_only_a_broker_of_the_same_bank_can_be_assigned(session, bank, broker, ivy_flag):
    other = MemberFactory(role="broker")
    sam = member(bank, "Sam Member", joined=TODAY)
    with pytest.raises(InvalidInput, match="Choose a broker of this time bank"):
        outreach_actions.assign(session, bank.id, ivy_flag.id, broker.id, other.id)
    with pytest.raises(InvalidInput, match="Sam Member is not an active broker"):
        outreach_actions.assign(session, bank.id, ivy_flag.id, broker.id, sam.id)
    assert actions(session, bank) == []


def test_members_and_other_banks_brokers_cannot_act_on_a_flag(session, bank, ivy_flag):
    stranger = MemberFactory(role="broker")
    sam = member(bank, "Sam Member", joined=TODAY)
    with pytest.raises(NotAllowed):
        outreach_actions.resolve(session, bank.id, ivy_flag.id, sam.id, "paused")
    with pytest.raises(NotFound):
        outreach_actions.resolve(session, stranger.bank_id, ivy_flag.id, stranger.id, "paused")
    assert stored(session, bank, id=ivy_flag.id)[0].status == "open"


def test_a_contact_without_an_outcome_keeps_the_flag_open(session, bank, broker, ivy, ivy_flag):
    contact = outreach_actions.record_contact(
        session, bank.id, ivy_flag.id, broker.id, "no_answer", None, " Rang twice. "
    )

    assert (contact.method, contact.outcome, contact.note) == ("no_answer", None, "Rang twice.")
    assert contact.flag_id == ivy_flag.id and contact.broker_id == broker.id
    assert flag_of(session, bank, ivy).status == "open"
    assert actions(session, bank) == [
        ("outreach_contact", broker.id, ivy.id, f"flag:{ivy_flag.id}")
    ]


@pytest.mark.parametrize("outcome", ["re_engaged", "paused", "left"])
def test_a_contact_that_ends_the_outreach_resolves_the_flag(
    session, bank, broker, ivy, ivy_flag, outcome
):
    outreach_actions.record_contact(session, bank.id, ivy_flag.id, broker.id, "phoned", outcome)

    flag = flag_of(session, bank, ivy)
    assert (flag.status, flag.outcome, flag.resolved_by_id) == ("resolved", outcome, broker.id)


def test_needs_support_keeps_the_flag_open_and_assigned_to_the_broker(
    session, bank, broker, ivy, ivy_flag
):
    outreach_actions.record_contact(
        session, bank.id, ivy_flag.id, broker.id, "visited", "needs_support"
    )

    flag = flag_of(session, bank, ivy)
    assert (flag.status, flag.assigned_to_id) == ("open", broker.id)


def test_a_contact_needs_a_known_method_and_outcome(session, bank, broker, ivy_flag):
    with pytest.raises(InvalidInput, match="how you tried"):
        outreach_actions.record_contact(session, bank.id, ivy_flag.id, broker.id, "emailed")
    with pytest.raises(InvalidInput, match="how it went"):
        outreach_actions.record_contact(session, bank.id, ivy_flag.id, broker.id, "phoned", "happy")
    assert session.scalar(sa.select(sa.func.count()).select_from(OutreachContact)) == 0


def test_snoozing_needs_a_date_after_today_and_within_a_year(session, bank, broker, ivy_flag):
    for day in (TODAY, TODAY + dt.timedelta(days=366)):
        with pytest.raises(InvalidInput):
            outreach_actions.snooze(session, bank.id, ivy_flag.id, broker.id, day, now=clock(TODAY))
    outreach_actions.snooze(
        session, bank.id, ivy_flag.id, broker.id, TODAY + dt.timedelta(days=365), now=clock(TODAY)
    )
    flag = stored(session, bank, id=ivy_flag.id)[0]
    assert flag.status == "snoozed" and flag.snoozed_until == TODAY + dt.timedelta(days=365)
    assert [a[0] for a in actions(session, bank)] == ["flag_snoozed"]


def test_resolving_records_the_outcome_and_who(session, bank, broker, ivy, ivy_flag):
    with pytest.raises(InvalidInput):
        outreach_actions.resolve(session, bank.id, ivy_flag.id, broker.id, "needs_support")

    outreach_actions.resolve(session, bank.id, ivy_flag.id, broker.id, "paused", now=clock(TODAY))

    flag = flag_of(session, bank, ivy)
    assert (flag.status, flag.outcome, flag.resolved_by_id) == ("resolved", "paused", broker.id)
    assert actions(session, bank) == [("flag_resolved", broker.id, ivy.id, f"flag:{flag.id}")]
    with pytest.raises(InvalidInput, match="no longer on the worklist"):
        outreach_actions.resolve(session, bank.id, ivy_flag.id, broker.id, "paused")


def test_a_member_who_asks_not_to_be_contacted_leaves_the_worklist_for_good(
    session, bank, broker, ivy, ivy_flag
):
    outreach_actions.member_do_not_contact(session, bank.id, ivy_flag.id, broker.id)

    assert session.get(Member, ivy.id).do_not_contact is True
    assert flag_of(session, bank, ivy).status == "resolved"
    assert refresh(session, bank, TODAY + dt.timedelta(days=200)).raised == 0
    assert [a[0] for a in actions(session, bank)] == ["do_not_contact"]


# --- The nudge -------------------------------------------------------------------------------


def outbox(session) -> list[OutboxMessage]:
    return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_nudge_starts_from_the_built_in_wording(session, bank, broker, ivy_flag):
    text = outreach_actions.nudge_text(session, bank.id, ivy_flag.id, broker.id)
    assert text.startswith(f"Hi Ivy, it's Bea from {bank.name}.")


def test_a_bank_can_word_its_own_nudge(session, bank, broker, ivy_flag):
    bank.nudge_template = "Hello {first_name}! {broker} at {bank} here \u2013 fancy a cuppa?"
    session.commit()

    text = outreach_actions.nudge_text(session, bank.id, ivy_flag.id, broker.id)

    assert text == f"Hello Ivy! Bea at {bank.name} here - fancy a cuppa?"


def test_a_nudge_is_queued_in_the_outbox_and_recorded_as_a_text(
    session, bank, broker, ivy, ivy_flag
):
    outreach_actions.send_nudge(session, bank.id, ivy_flag.id, broker.id, "Hi Ivy,  we miss you!")

    (message,) = outbox(session)
    assert (message.to_e164, message.member_id) == (ivy.mobile_e164, ivy.id)
    assert (message.body, message.purpose, message.status) == (
        "Hi Ivy, we miss you!",
        "outreach_nudge",
        "queued",
    )
    (contact,) = session.scalars(sa.select(OutreachContact))
    assert (contact.method, contact.note, contact.broker_id) == ("texted", message.body, broker.id)
    assert [a[0] for a in actions(session, bank)] == ["nudge_sent"]
    assert flag_of(session, bank, ivy).status == "open"


def test_a_nudge_longer_than_one_text_is_refused_with_its_length(session, bank, broker, ivy_flag):
    with pytest.raises(InvalidInput, match="This text is 200 characters, so it would go as 2"):
        outreach_actions.send_nudge(session, bank.id, ivy_flag.id, broker.id, "a" * 200)
    assert outbox(session) == []


def test_no_nudge_to_a_member_who_opted_out_or_has_no_mobile(session, bank, broker, hal, ivy):
    nomo = member(bank, "Nomo Mobile", mobile=None)
    record_opt_out(session, bank.id, ivy.mobile_e164, clock(TODAY)())
    session.commit()
    refresh(session, bank)
    ivy_flag, nomo_flag = flag_of(session, bank, ivy), stored(session, bank, member_id=nomo.id)[0]

    with pytest.raises(InvalidInput, match="Ivy Idle has texted STOP"):
        outreach_actions.send_nudge(session, bank.id, ivy_flag.id, broker.id, "Hello")
    with pytest.raises(InvalidInput, match="We have no mobile number for Nomo Mobile"):
        outreach_actions.send_nudge(session, bank.id, nomo_flag.id, broker.id, "Hello")

    assert outbox(session) == [] and actions(session, bank) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(OutreachContact)) == 0


# --- The worklist ----------------------------------------------------------------------------


def test_the_worklist_puts_the_longest_waiting_first_and_filters(session, bank, broker, ivy):
    fay = member(bank, "Fay First", joined=dt.date(2025, 5, 1))
    refresh(session, bank)
    fay_flag = flag_of(session, bank, fay, "no_first_exchange")
    outreach_actions.assign(session, bank.id, fay_flag.id, broker.id, broker.id)
    outreach_actions.record_contact(session, bank.id, fay_flag.id, broker.id, "phoned")

    every = outreach_worklist.worklist(session, bank.id, broker.id)
    mine = outreach_worklist.worklist(session, bank.id, broker.id, "mine")
    unassigned = outreach_worklist.worklist(session, bank.id, broker.id, "unassigned")

    assert [e.name for e in every.entries] == ["Ivy Idle", "Fay First"]
    assert every.total == 2 and every.pages == 1
    assert [e.name for e in mine.entries] == ["Fay First"]
    assert mine.entries[0].assigned_to == "Bea Broker"
    assert mine.entries[0].last_contact.method == "phoned"
    assert [e.name for e in unassigned.entries] == ["Ivy Idle"]
    assert unassigned.entries[0].reasons == ["No exchange for 90 days (since 1 April)."]
    assert outreach_worklist.members_waiting(session, bank.id) == 2


def test_snoozed_members_have_their_own_list(session, bank, broker, ivy, ivy_flag):
    until = TODAY + dt.timedelta(days=7)
    outreach_actions.snooze(session, bank.id, ivy_flag.id, broker.id, until, now=clock(TODAY))

    assert outreach_worklist.worklist(session, bank.id, broker.id).entries == []
    (entry,) = outreach_worklist.worklist(session, bank.id, broker.id, snoozed=True).entries
    assert (entry.name, entry.snoozed_until) == ("Ivy Idle", until)
    assert outreach_worklist.members_waiting(session, bank.id) == 0


def test_the_refresh_works_in_batches_and_clears_across_them(session, bank, monkeypatch):
    # Small batches on both sides: the scan reads two members at a time while the refresh
    # writes, so the streamed read and the writes share the transaction.
    monkeypatch.setattr(outreach, "REFRESH_BATCH", 2)
    monkeypatch.setattr(scan, "BATCH_SIZE", 2)
    quiet = [member(bank, f"Quiet {n}", joined=dt.date(2025, 5, 1)) for n in range(5)]
    assert refresh(session, bank).raised == 5
    quiet[1].status = quiet[3].status = "left"
    session.commit()

    summary = refresh(session, bank)

    assert (summary.raised, summary.cleared) == (0, 2)
    assert {f.member_id for f in stored(session, bank, status="open")} == {
        quiet[0].id,
        quiet[2].id,
        quiet[4].id,
    }


def test_a_new_reason_joins_the_members_case_as_it_stands(session, bank, broker, ivy, ivy_flag):
    from timebank.offers.services import ListingDraft, post_listing

    until = TODAY + dt.timedelta(days=60)
    outreach_actions.assign(session, bank.id, ivy_flag.id, broker.id, broker.id)
    outreach_actions.snooze(session, bank.id, ivy_flag.id, broker.id, until, now=clock(TODAY))
    draft = ListingDraft("offer", "Gardening", "Weeding and pruning")
    post_listing(session, bank.id, ivy.id, draft, now=clock(TODAY))

    summary = refresh(session, bank, TODAY + dt.timedelta(days=31))

    new = flag_of(session, bank, ivy, "unanswered_offers")
    assert summary.raised == 1
    assert (new.status, new.snoozed_until, new.assigned_to_id) == ("snoozed", until, broker.id)
