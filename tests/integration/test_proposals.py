"""Proposals: asking members to help with a request, their answers, introductions, matches."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.broker import announce, exchange_links, introductions, proposals, requester_proposals
from timebank.broker.models import MemberBlock, MemberCheck, Proposal
from timebank.errors import InvalidInput, NotAllowed, NotFound
from timebank.ledger.resolutions import decline_pending
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.membership.services import set_member_status
from timebank.offers.models import Listing
from timebank.sms.models import ExchangeCode, OutboxMessage
from timebank.sms.optouts import record_opt_out
from timebank.tenancy.models import BrokerAction


@pytest.fixture
def jane(bank):
    """Return Jane, who asks for help with her garden."""
    return MemberFactory(bank=bank, display_name="Jane Doe", area="Catford")


@pytest.fixture
def sam(bank):
    """Return Sam, a gardener in Catford."""
    sam = MemberFactory(bank=bank, display_name="Sam Green", area="Catford")
    ListingFactory(member=sam, title="Gardening, weeding and pruning")
    return sam


@pytest.fixture
def ola(bank):
    """Return Ola, another member."""
    return MemberFactory(bank=bank, display_name="Ola Smith", area="Catford")


@pytest.fixture
def garden(jane):
    """Return Jane's open request for help in her garden."""
    return ListingFactory(
        member=jane,
        kind="request",
        title="Help in my garden",
        availability="Tue mornings",
        area="Catford",
    )


def send(session, bank, broker, request, helpers, channel="web", message=""):
    return proposals.send_proposals(
        session, bank.id, broker.id, request.id, [h.id for h in helpers], channel, message
    )


def actions(session, action=None) -> list[tuple[str, int, int | None]]:
    query = sa.select(BrokerAction).order_by(BrokerAction.id)
    if action:
        query = query.where(BrokerAction.action == action)
    return [(a.action, a.broker_id, a.member_id) for a in session.scalars(query)]


def texts_to(session, member) -> list[str]:
    return list(
        session.scalars(
            sa.select(OutboxMessage.body)
            .where(OutboxMessage.to_e164 == member.mobile_e164)
            .order_by(OutboxMessage.id)
        )
    )


def gave(giver, receiver, minutes=60, also=None):
    """Log, as the giver, help given: it waits for the receiver to confirm."""
    from timebank.extensions import db

    return record_exchange(
        db.session,
        ExchangeRequest(uuid.uuid4(), giver.bank_id, giver.id, receiver.id, minutes, giver.id),
        also=also,
    )


# --- Sending -------------------------------------------------------------------------------


def test_a_text_proposal_gets_a_code_a_queued_text_the_reasons_and_an_audit_line(
    session, bank, broker, jane, sam, garden
):
    (proposal,) = send(session, bank, broker, garden, [sam], "sms")

    assert (proposal.status, proposal.channel, proposal.proposed_by_id) == (
        "sent",
        "sms",
        broker.id,
    )
    assert 10 <= proposal.sms_code <= 99
    assert "offers gardening" in proposal.why
    code = proposal.sms_code
    assert texts_to(session, sam) == [
        f"Bea from {bank.name}: could you help Jane with gardening (Tue mornings, Catford)? "
        f"Reply YES {code} or NO {code}."
    ]
    assert actions(session) == [("proposal_sent", broker.id, sam.id)]


def test_a_web_proposal_queues_no_text_and_has_no_code(session, bank, broker, sam, ola, garden):
    made = send(session, bank, broker, garden, [sam, ola], "web", "She has a small garden.")

    assert [(p.helper_id, p.sms_code, p.message) for p in made] == [
        (sam.id, None, "She has a small garden."),
        (ola.id, None, "She has a small garden."),
    ]
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert len(actions(session, "proposal_sent")) == 2


def test_the_requester_cannot_be_asked_to_help_themself(session, bank, broker, jane, garden):
    with pytest.raises(InvalidInput, match="asked for this help"):
        send(session, bank, broker, garden, [jane])


def test_an_inactive_member_is_refused_and_no_one_is_asked(session, bank, broker, sam, ola, garden):
    set_member_status(session, bank.id, ola.id, "suspended")

    with pytest.raises(InvalidInput, match="Ola Smith is not an active member.*No one was asked"):
        send(session, bank, broker, garden, [sam, ola])

    assert session.scalars(sa.select(Proposal)).all() == []


@pytest.mark.parametrize("who_blocked", ["requester", "helper"])
def test_members_blocked_either_way_are_refused(
    session, bank, broker, jane, sam, garden, who_blocked
):
    one, other = (jane, sam) if who_blocked == "requester" else (sam, jane)
    session.add(
        MemberBlock(bank_id=bank.id, member_id=one.id, blocked_member_id=other.id,
                    recorded_by_id=broker.id)
    )  # fmt: skip
    session.commit()

    with pytest.raises(InvalidInput, match="should not be matched"):
        send(session, bank, broker, garden, [sam])


def add_check(session, bank, member, broker, expires_on=None, withdrawn=False):
    session.add(
        MemberCheck(
            bank_id=bank.id,
            member_id=member.id,
            kind="dbs",
            checked_on=dt.date.today() - dt.timedelta(days=400),
            expires_on=expires_on,
            recorded_by_id=broker.id,
            withdrawn_at=dt.datetime.now(dt.UTC) if withdrawn else None,
        )
    )
    session.commit()


def test_a_request_that_needs_a_check_refuses_members_without_a_current_one(
    session, bank, broker, jane, sam, ola
):
    visit = ListingFactory(member=jane, kind="request", title="Company at home")
    session.get(Listing, visit.id).needs_check = True
    session.commit()
    add_check(session, bank, sam, broker, expires_on=dt.date.today() - dt.timedelta(days=1))
    add_check(session, bank, ola, broker, withdrawn=True)

    for helper in (sam, ola):
        with pytest.raises(InvalidInput, match="no current DBS check"):
            send(session, bank, broker, visit, [helper])

    add_check(session, bank, sam, broker, expires_on=dt.date.today())
    assert [p.helper_id for p in send(session, bank, broker, visit, [sam])] == [sam.id]


def test_a_category_that_needs_a_check_is_honoured_too(session, bank, broker, jane, sam):
    care = ListingFactory(
        member=jane, kind="request", skill_category="Care and wellbeing", title="A bath"
    )

    with pytest.raises(InvalidInput, match="no current DBS check"):
        send(session, bank, broker, care, [sam])


def test_asking_the_same_member_twice_is_refused_with_what_happened(
    session, bank, broker, sam, garden
):
    send(session, bank, broker, garden, [sam])

    with pytest.raises(InvalidInput, match="Sam Green was already asked"):
        send(session, bank, broker, garden, [sam], "sms")

    assert len(session.scalars(sa.select(Proposal)).all()) == 1


def test_a_member_without_texts_can_only_be_asked_on_the_web(
    session, bank, broker, sam, ola, garden
):
    record_opt_out(session, bank.id, sam.mobile_e164, dt.datetime.now(dt.UTC))
    session.commit()
    no_mobile = MemberFactory(bank=bank, display_name="Nell Post", mobile=None, email="n@x.org")

    for helper in (sam, no_mobile):
        with pytest.raises(InvalidInput, match="can only be asked on the web"):
            send(session, bank, broker, garden, [helper], "sms")

    assert len(send(session, bank, broker, garden, [sam, no_mobile], "web")) == 2


def test_closed_requests_offers_and_other_banks_requests_are_refused(
    session, bank, broker, jane, sam, garden
):
    offer = session.scalars(sa.select(Listing).where(Listing.kind == "offer")).first()
    other_bank = TimeBankFactory()
    elsewhere = ListingFactory(member=MemberFactory(bank=other_bank), kind="request")
    with pytest.raises(NotFound):
        send(session, bank, broker, offer, [jane])
    with pytest.raises(NotFound):
        send(session, bank, broker, elsewhere, [sam])
    with pytest.raises(NotFound):
        send(session, bank, broker, garden, [MemberFactory(bank=other_bank)])

    session.get(Listing, garden.id).status = "closed"
    session.commit()
    with pytest.raises(InvalidInput, match="closed"):
        send(session, bank, broker, garden, [sam])


def test_only_a_broker_of_the_bank_may_send(session, bank, jane, sam, ola, garden):
    with pytest.raises(NotAllowed):
        send(session, bank, ola, garden, [sam])
    other_broker = MemberFactory(bank=TimeBankFactory(), role="broker")
    with pytest.raises(NotFound):
        send(session, bank, other_broker, garden, [sam])


# --- Codes ---------------------------------------------------------------------------------


def test_proposal_codes_never_equal_an_exchange_code_and_the_reverse(
    session, bank, broker, jane, sam, ola, garden, monkeypatch
):
    (first,) = send(session, bank, broker, garden, [sam], "sms")
    # The next exchange code drawn is the proposal's, then a free one.
    draws = iter([first.sms_code, 555])
    monkeypatch.setattr(announce._random, "randint", lambda low, high: next(draws))
    gave(ola, jane, also=announce.announce_pending)
    assert session.scalars(sa.select(ExchangeCode.code)).all() == [555]
    # The next proposal code drawn is the exchange's (three digits), then a free one.
    draws = iter([55, 555, 777])
    monkeypatch.setattr(proposals._random, "randint", lambda low, high: next(draws))
    (second,) = send(session, bank, broker, garden, [ola], "sms")

    assert second.sms_code in (55, 777) and second.sms_code != 555
    assert proposals.code_taken(session, bank.id, 555)
    assert proposals.code_taken(session, bank.id, first.sms_code)


# --- Answers -------------------------------------------------------------------------------


def test_the_helper_says_yes_and_it_is_recorded_as_theirs(session, bank, broker, sam, garden):
    (proposal,) = send(session, bank, broker, garden, [sam])

    proposals.answer_proposal(session, bank.id, proposal.id, sam.id, True)

    assert proposal.status == "accepted" and proposal.answered_at is not None
    assert actions(session, "proposal_accepted") == [("proposal_accepted", sam.id, sam.id)]


def test_only_the_helper_may_answer_and_only_once(session, bank, broker, sam, ola, garden):
    (proposal,) = send(session, bank, broker, garden, [sam])
    with pytest.raises(NotFound):
        proposals.answer_proposal(session, bank.id, proposal.id, ola.id, True)
    other_bank = TimeBankFactory()
    with pytest.raises(NotFound):
        proposals.answer_proposal(session, other_bank.id, proposal.id, sam.id, True)

    proposals.answer_proposal(session, bank.id, proposal.id, sam.id, False)
    with pytest.raises(InvalidInput, match="already answered"):
        proposals.answer_proposal(session, bank.id, proposal.id, sam.id, True)
    assert session.get(Proposal, proposal.id).status == "declined"


def test_a_broker_records_a_reply_taken_by_phone(session, bank, broker, sam, garden):
    (proposal,) = send(session, bank, broker, garden, [sam])

    proposals.record_reply(session, bank.id, broker.id, proposal.id, True, "rang on Monday")

    assert proposal.status == "accepted"
    line = session.scalars(
        sa.select(BrokerAction).where(BrokerAction.action == "proposal_reply_recorded")
    ).one()
    assert (line.broker_id, line.member_id, line.detail) == (
        broker.id,
        sam.id,
        "yes: rang on Monday",
    )


def test_a_withdrawn_proposal_cannot_be_answered(session, bank, broker, sam, garden):
    (proposal,) = send(session, bank, broker, garden, [sam])
    introductions.withdraw(session, bank.id, broker.id, proposal.id, "Jane found help")

    with pytest.raises(InvalidInput, match="withdrawn"):
        proposals.answer_proposal(session, bank.id, proposal.id, sam.id, True)
    assert actions(session, "proposal_withdrawn") == [("proposal_withdrawn", broker.id, sam.id)]


# --- Introducing and matching ----------------------------------------------------------------


def accepted(session, bank, broker, request, helper, channel="web"):
    (proposal,) = send(session, bank, broker, request, [helper], channel)
    proposals.answer_proposal(session, bank.id, proposal.id, helper.id, True)
    return proposal


def test_only_an_accepted_proposal_can_be_introduced(session, bank, broker, sam, garden):
    (proposal,) = send(session, bank, broker, garden, [sam])

    with pytest.raises(InvalidInput, match="still waiting for an answer"):
        introductions.introduce(session, bank.id, broker.id, proposal.id)


def test_an_introduction_texts_both_members_with_the_meeting_and_the_broker(
    session, bank, broker, jane, sam, garden
):
    proposal = accepted(session, bank, broker, garden, sam)
    meeting = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)

    introductions.introduce(
        session, bank.id, broker.id, proposal.id, meeting, "Catford library", "bring gloves"
    )

    assert proposal.status == "introduced" and proposal.introduced_at is not None
    assert proposal.meeting_place == "Catford library"
    assert texts_to(session, sam) == [
        f"{bank.name}: Jane would like your help with gardening. First meeting Tue 3 Mar at "
        f"10:00, Catford library. Questions? Bea {broker_phone(broker)}"
    ]
    assert texts_to(session, jane)[0].startswith(f"{bank.name}: Sam can help you with gardening.")
    line = session.scalars(
        sa.select(BrokerAction).where(BrokerAction.action == "proposal_introduced")
    ).one()
    assert line.broker_id == broker.id and "bring gloves" in line.detail


def broker_phone(broker) -> str:
    from timebank.phones import format_national

    return format_national(broker.mobile_e164)


def test_matching_closes_the_request_and_withdraws_unanswered_proposals(
    session, bank, broker, jane, sam, ola, garden
):
    proposal = accepted(session, bank, broker, garden, sam)
    (waiting,) = send(session, bank, broker, garden, [ola], "sms")
    declined_one = MemberFactory(bank=bank)
    (declined,) = send(session, bank, broker, garden, [declined_one])
    proposals.answer_proposal(session, bank.id, declined.id, declined_one.id, False)

    introductions.mark_matched(session, bank.id, broker.id, proposal.id)

    listing = session.get(Listing, garden.id)
    assert (listing.status, listing.matched_at is not None) == ("closed", True)
    assert proposal.status == "matched" and proposal.matched_at is not None
    assert session.get(Proposal, waiting.id).status == "withdrawn"
    assert session.get(Proposal, declined.id).status == "declined"
    assert texts_to(session, ola)[-1].startswith(f"{bank.name}: Jane has now found help")
    assert ("proposal_matched", broker.id, sam.id) in actions(session)
    with pytest.raises(InvalidInput, match="already matched"):
        introductions.mark_matched(session, bank.id, broker.id, proposal.id)
    with pytest.raises(InvalidInput, match="already matched"):
        send(session, bank, broker, garden, [MemberFactory(bank=bank)])


def test_a_matched_proposal_cannot_be_withdrawn_or_a_declined_one_matched(
    session, bank, broker, sam, ola, garden
):
    (no,) = send(session, bank, broker, garden, [ola])
    proposals.answer_proposal(session, bank.id, no.id, ola.id, False)
    with pytest.raises(InvalidInput, match="was declined"):
        introductions.mark_matched(session, bank.id, broker.id, no.id)

    proposal = accepted(session, bank, broker, garden, sam)
    introductions.mark_matched(session, bank.id, broker.id, proposal.id)
    with pytest.raises(InvalidInput, match="already matched"):
        introductions.withdraw(session, bank.id, broker.id, proposal.id)


def test_a_broker_of_another_bank_cannot_touch_a_proposal(session, bank, broker, sam, garden):
    proposal = accepted(session, bank, broker, garden, sam)
    other = TimeBankFactory()
    other_broker = MemberFactory(bank=other, role="broker")

    with pytest.raises(NotFound):
        introductions.introduce(session, other.id, other_broker.id, proposal.id)
    with pytest.raises(NotFound):
        introductions.withdraw(session, other.id, other_broker.id, proposal.id)
    assert session.get(Proposal, proposal.id).status == "accepted"


# --- Linking the exchange ------------------------------------------------------------------


def matched(session, bank, broker, request, helper):
    proposal = accepted(session, bank, broker, request, helper)
    return introductions.mark_matched(session, bank.id, broker.id, proposal.id)


def test_the_broker_links_the_exchange_the_helper_logged_for_the_requester(
    session, bank, broker, jane, sam, ola, garden
):
    proposal = matched(session, bank, broker, garden, sam)
    gave(ola, jane)  # someone else's help is not offered
    gave(jane, sam)  # nor help the other way
    exchange = gave(sam, jane, 90)

    offered = exchange_links.candidate_transfers(session, bank.id, proposal.id)
    assert [t.id for t in offered] == [exchange.id]
    with pytest.raises(InvalidInput, match="not one the helper logged"):
        exchange_links.link_exchange(session, bank.id, broker.id, proposal.id, uuid.uuid4())
    exchange_links.link_exchange(session, bank.id, broker.id, proposal.id, exchange.id)

    assert session.get(Proposal, proposal.id).transfer_id == exchange.id
    assert ("exchange_linked", broker.id, sam.id) in actions(session)
    with pytest.raises(InvalidInput, match="already linked"):
        exchange_links.link_exchange(session, bank.id, broker.id, proposal.id, exchange.id)


def test_only_a_matched_proposal_is_linked(session, bank, broker, jane, sam, garden):
    proposal = accepted(session, bank, broker, garden, sam)
    exchange = gave(sam, jane)

    with pytest.raises(InvalidInput, match="was accepted"):
        exchange_links.link_exchange(session, bank.id, broker.id, proposal.id, exchange.id)


def test_a_declined_exchange_is_not_offered(session, bank, broker, jane, sam, garden):
    proposal = matched(session, bank, broker, garden, sam)
    exchange = gave(sam, jane)
    decline_pending(session, bank.id, exchange.id, uuid.uuid4(), jane.id)

    assert exchange_links.candidate_transfers(session, bank.id, proposal.id) == []


def test_the_single_exchange_is_linked_automatically_but_not_when_there_are_two(
    session, bank, broker, jane, sam, ola
):
    first_request = ListingFactory(member=jane, kind="request", title="Hedge")
    second_request = ListingFactory(member=ola, kind="request", title="Lawn")
    one = matched(session, bank, broker, first_request, sam)
    two = matched(session, bank, broker, second_request, sam)
    exchange = gave(sam, jane)
    gave(sam, ola)
    gave(sam, ola)

    # The scheduled job links on its own, so its audit line names no broker.
    assert exchange_links.link_logged_exchanges(session, bank.id) == 1

    assert session.get(Proposal, one.id).transfer_id == exchange.id
    assert session.get(Proposal, two.id).transfer_id is None
    assert actions(session, "exchange_linked") == [("exchange_linked", None, sam.id)]
    assert exchange_links.link_logged_exchanges(session, bank.id) == 0


# --- The requester's own suggestions ---------------------------------------------------------


def test_a_requester_sees_suggestions_and_asks_one_on_the_web(session, bank, jane, sam, garden):
    suggestions = requester_proposals.requester_suggestions(session, bank.id, jane.id, garden.id)
    assert suggestions[0].member_id == sam.id and "has not met you yet" in suggestions[0].why

    proposal = requester_proposals.ask_suggested_helper(
        session, bank.id, jane.id, garden.id, sam.id
    )

    assert (proposal.channel, proposal.proposed_by_id, proposal.helper_id) == (
        "web",
        jane.id,
        sam.id,
    )
    assert actions(session) == [("proposal_sent_by_requester", jane.id, sam.id)]
    left = requester_proposals.requester_suggestions(session, bank.id, jane.id, garden.id)
    assert sam.id not in [s.member_id for s in left]


def test_a_requester_cannot_see_or_ask_for_someone_elses_request(
    session, bank, jane, sam, ola, garden
):
    with pytest.raises(NotFound):
        requester_proposals.requester_suggestions(session, bank.id, ola.id, garden.id)
    with pytest.raises(NotFound):
        requester_proposals.ask_suggested_helper(session, bank.id, ola.id, garden.id, sam.id)


def test_a_requester_can_only_ask_a_suggested_helper(session, bank, jane, garden):
    stranger = MemberFactory(bank=TimeBankFactory())

    with pytest.raises(NotFound, match="not one of the helpers suggested"):
        requester_proposals.ask_suggested_helper(session, bank.id, jane.id, garden.id, stranger.id)
