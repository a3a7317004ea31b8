"""GP referrals by text: partners, the referral pipeline, consent, follow-ups and the purge."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, OrganisationFactory, TimeBankFactory
from timebank.errors import InvalidInput, NotAllowed, NotFound
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.referrals import partners, services
from timebank.referrals.models import PartnerNumber, Referral, ReferralEvent
from timebank.referrals.sms import (
    handle_invitation_answer,
    handle_join,
    handle_refer,
    partner_for_number,
)
from timebank.sms import replies
from timebank.sms.commands import Join, Refer, parse_text
from timebank.sms.models import OutboxMessage

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
PRACTICE_PHONE = "+447400000111"
NHS_NUMBER = "943 476 5919"


def refer(session, bank, partner, body: str, now: dt.datetime = NOW) -> str:
    """Parse a practice's text, handle it and commit as the webhook does; return the reply."""
    command = parse_text(body)
    assert isinstance(command, Refer), command
    reply = handle_refer(session, bank, partner, command, now)
    session.commit()
    return reply


def at(stamp: dt.datetime | None) -> dt.datetime | None:
    """Return a stored time as UTC (SQLite hands back naive datetimes)."""
    return stamp if stamp is None or stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def referrals(session) -> list[Referral]:
    return list(session.scalars(sa.select(Referral).order_by(Referral.id)))


def texts_to(session, e164: str) -> list[str]:
    return list(
        session.scalars(
            sa.select(OutboxMessage.body)
            .where(OutboxMessage.to_e164 == e164)
            .order_by(OutboxMessage.id)
        )
    )


def steps(session, referral_id: int) -> list[tuple[str, int | None]]:
    events = session.scalars(
        sa.select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral_id)
        .order_by(ReferralEvent.id)
    )
    return [(event.status, event.actor_id) for event in events]


# --- Partners ---------------------------------------------------------------------------


def test_partner_numbers_are_normalised_and_found_only_in_their_own_bank(session, bank, practice):
    other = TimeBankFactory()

    assert partner_for_number(session, bank.id, PRACTICE_PHONE).id == practice.id
    assert partner_for_number(session, other.id, PRACTICE_PHONE) is None
    assert partner_for_number(session, bank.id, "+447400000999") is None


def test_a_number_belongs_to_one_partner_in_a_bank(session, bank, admin, practice):
    other = partners.add_partner(session, bank.id, admin.id, "Another Surgery")

    with pytest.raises(partners.PartnerDetailError) as error:
        partners.add_partner_number(session, bank.id, admin.id, other.id, "+44 7400 000111")

    assert error.value.field == "mobile" and "already" in error.value.message


def test_a_paused_partner_is_not_found_by_its_number(session, bank, admin, practice):
    partners.set_partner_active(session, bank.id, admin.id, practice.id, False)

    assert partner_for_number(session, bank.id, PRACTICE_PHONE) is None


def test_a_partner_may_link_to_a_gp_practice_of_its_own_bank_only(session, bank, admin):
    ours = OrganisationFactory(bank=bank, name="Ours")
    theirs = OrganisationFactory(bank=TimeBankFactory(), name="Theirs")

    partner = partners.add_partner(session, bank.id, admin.id, "Ours", ours.id)
    with pytest.raises(partners.PartnerDetailError):
        partners.add_partner(session, bank.id, admin.id, "Theirs", theirs.id)

    assert partner.organisation_id == ours.id


def test_only_admins_register_partners(session, bank, broker):
    with pytest.raises(NotAllowed):
        partners.add_partner(session, bank.id, broker.id, "A Practice")


# --- A practice's REFER text ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "REFER 07812 345678 Jane lonely since her husband died",
        "refer 07812345678 jane lonely since her husband died",
        "  Refer   +44 7812 345678   JANE   lonely since her husband died ",
        "REFER 07812-345-678 Jane lonely since her husband died",
        "REFER +447812345678 Jane lonely since her husband died",
        "REFER 0044 7812 345678 Jane lonely since her husband died",
        "REFER (07812) 345678 Jane lonely since her husband died",
    ],
)
def test_referral_texts_are_read_whatever_the_case_spacing_or_number_format(
    session, bank, practice, body
):
    reply = refer(session, bank, practice, body)

    [referral] = referrals(session)
    assert (referral.patient_e164, referral.first_name) == ("+447812345678", "Jane")
    assert referral.reason == "lonely since her husband died"
    assert reply == replies.referral_received(f"R-{referral.id:04d}")


def test_a_referral_invites_the_patient_and_tells_brokers_without_health_details(
    session, bank, broker, practice
):
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely, diabetes")

    [referral] = referrals(session)
    ref = f"R-{referral.id:04d}"
    assert referral.status == "invited" and at(referral.invited_at) == NOW
    [invitation] = texts_to(session, "+447812345678")
    assert "Ravensbourne Health Centre" in invitation and "YES or NO" in invitation
    [alert] = texts_to(session, broker.mobile_e164)
    assert alert == f"New referral {ref} from Ravensbourne Health Centre. See the referral queue."
    every_text = " ".join(session.scalars(sa.select(OutboxMessage.body)))
    assert "lonely" not in every_text and "diabetes" not in every_text
    assert steps(session, referral.id) == [("received", None), ("invited", None)]


def test_nhs_numbers_are_never_stored_and_the_practice_is_reminded(session, bank, practice):
    reply = refer(session, bank, practice, f"REFER 07812 345678 Jane NHS {NHS_NUMBER} lonely")

    [referral] = referrals(session)
    assert "943" not in referral.reason and "5919" not in referral.reason
    assert referral.reason == "NHS [removed] lonely"
    assert "never text NHS numbers, birth dates or diagnoses" in reply


def test_a_bad_patient_number_stores_nothing_and_says_so(session, bank, practice):
    reply = refer(session, bank, practice, "REFER 0123 456 7890 Jane lonely")  # a landline

    assert referrals(session) == []
    assert "Nothing was saved" in reply
    assert session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_a_second_referral_for_an_open_one_gets_the_existing_reference(session, bank, practice):
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely")

    reply = refer(session, bank, practice, "REFER +44 7812 345678 Jane again")

    [referral] = referrals(session)
    assert reply == replies.referral_already_open(f"R-{referral.id:04d}")
    assert len(texts_to(session, "+447812345678")) == 1


def test_a_number_can_be_referred_again_once_the_last_referral_ended(session, bank, practice):
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely")
    handle_invitation_answer(session, bank, "+447812345678", False, NOW)
    session.commit()

    refer(session, bank, practice, "REFER 07812 345678 Jane talked again")

    assert [r.status for r in referrals(session)] == ["declined", "invited"]


# --- The patient's answer, and JOIN -----------------------------------------------------


def test_yes_to_the_invitation_means_consent(session, bank, practice):
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely")

    reply = handle_invitation_answer(session, bank, "+447812345678", True, NOW)
    session.commit()

    [referral] = referrals(session)
    assert referral.status == "consented" and at(referral.answered_at) == NOW
    assert reply == replies.invitation_accepted(bank.name)


def test_no_to_the_invitation_is_declined_politely_and_no_more_texts_follow(
    session, bank, practice
):
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely")

    reply = handle_invitation_answer(session, bank, "+447812345678", False, NOW)
    session.commit()
    counts = services.follow_up_referrals(session, NOW + dt.timedelta(days=30))

    [referral] = referrals(session)
    assert referral.status == "declined"
    assert reply == replies.invitation_declined(bank.name)
    assert counts.no_reply == 0
    assert len(texts_to(session, "+447812345678")) == 1  # only the invitation


def test_an_answer_with_no_invitation_is_left_to_other_handlers(session, bank, practice):
    assert handle_invitation_answer(session, bank, "+447812345678", True, NOW) is None


def test_join_is_a_self_referral_with_consent_and_tells_brokers(session, bank, broker):
    reply = handle_join(session, bank, "+447812345678", Join("mary"), NOW)
    session.commit()

    [referral] = referrals(session)
    assert (referral.partner_id, referral.first_name, referral.status) == (
        None,
        "Mary",
        "consented",
    )
    assert reply == replies.join_thanks("Mary", bank.name)
    assert texts_to(session, "+447812345678") == []  # no invitation: they asked
    [alert] = texts_to(session, broker.mobile_e164)
    assert "they asked to join" in alert


def test_join_after_a_practice_invitation_counts_as_yes(session, bank, practice):
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely")

    handle_join(session, bank, "+447812345678", Join(""), NOW)
    session.commit()

    [referral] = referrals(session)
    assert referral.status == "consented"


# --- Brokers' actions -------------------------------------------------------------------


def consented_referral(session, bank, practice) -> Referral:
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely")
    handle_invitation_answer(session, bank, "+447812345678", True, NOW)
    session.commit()
    return referrals(session)[0]


def test_every_broker_action_is_recorded_with_the_broker(session, bank, broker, practice):
    referral = consented_referral(session, bank, practice)
    member = MemberFactory(bank=bank, display_name="Jane Doe", mobile="07812 345678")

    services.mark_contacted(session, bank.id, referral.id, broker.id)
    services.link_member(session, bank.id, referral.id, member.id, broker.id)
    services.close_referral(session, bank.id, referral.id, broker.id, "Settled in well")

    assert steps(session, referral.id) == [
        ("received", None),
        ("invited", None),
        ("consented", None),
        ("contacted", broker.id),
        ("joined", broker.id),
        ("closed", broker.id),
    ]
    assert referral.outcome == "Settled in well" and referral.member_id == member.id


def test_a_broker_cannot_mark_contacted_someone_who_has_not_said_yes(
    session, bank, broker, practice
):
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely")
    [referral] = referrals(session)

    with pytest.raises(InvalidInput) as error:
        services.mark_contacted(session, bank.id, referral.id, broker.id)

    assert "only someone who said yes" in error.value.message
    assert referral.status == "invited"


def test_joining_tells_every_number_of_the_practice_without_health_details(
    session, bank, broker, admin, practice
):
    partners.add_partner_number(session, bank.id, admin.id, practice.id, "07400 000222")
    referral = consented_referral(session, bank, practice)
    member = MemberFactory(bank=bank, display_name="Jane Doe", mobile="07812 345678")

    services.link_member(session, bank.id, referral.id, member.id, broker.id)

    expected = replies.patient_joined(f"R-{referral.id:04d}")
    assert texts_to(session, PRACTICE_PHONE)[-1] == expected
    assert texts_to(session, "+447400000222") == [expected]


def test_members_cannot_act_on_referrals_and_other_banks_cannot_see_them(session, bank, practice):
    referral = consented_referral(session, bank, practice)
    member = MemberFactory(bank=bank)
    stranger = MemberFactory(bank=TimeBankFactory(), role="broker")

    with pytest.raises(NotAllowed):
        services.mark_contacted(session, bank.id, referral.id, member.id)
    with pytest.raises(NotFound):
        services.mark_contacted(session, stranger.bank_id, referral.id, stranger.id)


def test_the_queue_shows_open_referrals_oldest_first_and_filters_by_status(session, bank, practice):
    refer(session, bank, practice, "REFER 07812 345111 Ann x", NOW)
    refer(session, bank, practice, "REFER 07812 345222 Bob y", NOW - dt.timedelta(days=1))
    refer(session, bank, practice, "REFER 07812 345333 Cat z", NOW + dt.timedelta(days=1))
    handle_invitation_answer(session, bank, "+447812345333", False, NOW)
    session.commit()

    names = [row.referral.first_name for row in services.referral_queue(session, bank.id)]
    declined = services.referral_queue(session, bank.id, "declined")

    assert names == ["Bob", "Ann"]
    assert [row.referral.first_name for row in declined] == ["Cat"]
    assert declined[0].partner == "Ravensbourne Health Centre"


# --- Follow-up and purge ----------------------------------------------------------------


def test_invitations_without_an_answer_become_no_reply_after_the_set_days(session, bank, practice):
    refer(session, bank, practice, "REFER 07812 345678 Jane lonely")

    early = services.follow_up_referrals(session, NOW + dt.timedelta(days=13))
    late = services.follow_up_referrals(session, NOW + dt.timedelta(days=15))
    again = services.follow_up_referrals(session, NOW + dt.timedelta(days=16))

    assert (early.no_reply, late.no_reply, again.no_reply) == (0, 1, 0)
    assert referrals(session)[0].status == "no_reply"
    assert handle_invitation_answer(session, bank, "+447812345678", True, NOW) is None


def test_the_first_exchange_is_reported_to_the_practice_once(session, bank, broker, practice):
    referral = consented_referral(session, bank, practice)
    jane = MemberFactory(bank=bank, display_name="Jane Doe", mobile="07812 345678")
    helper = MemberFactory(bank=bank)
    services.link_member(session, bank.id, referral.id, jane.id, broker.id)
    before = services.follow_up_referrals(session, NOW)
    record_exchange(
        session, ExchangeRequest(uuid.uuid4(), bank.id, helper.id, jane.id, 60, jane.id)
    )

    first = services.follow_up_referrals(session, NOW)
    second = services.follow_up_referrals(session, NOW)

    assert (before.first_exchange, first.first_exchange, second.first_exchange) == (0, 1, 0)
    assert referral.status == "first_exchange"
    feedback = replies.patient_first_exchange(f"R-{referral.id:04d}")
    assert texts_to(session, PRACTICE_PHONE).count(feedback) == 1


def test_purge_empties_unconverted_referrals_after_retention_and_keeps_converted_ones(
    session, bank, broker, practice
):
    old = NOW - dt.timedelta(days=91)
    refer(session, bank, practice, "REFER 07812 345111 Ann lonely", old)
    refer(session, bank, practice, "REFER 07812 345222 Bob lonely", old)
    refer(session, bank, practice, "REFER 07812 345333 Cat lonely", NOW - dt.timedelta(days=89))
    bob = referrals(session)[1]
    member = MemberFactory(bank=bank, mobile="07812 345222")
    services.link_member(session, bank.id, bob.id, member.id, broker.id)

    purged = services.purge_unconverted(session, NOW)

    assert purged == 1
    # Ann's row stays for the reports' counts, without her number, name or reason.
    assert [(r.first_name, r.patient_e164, r.reason) for r in referrals(session)] == [
        ("", "", ""),
        ("Bob", "+447812345222", "lonely"),
        ("Cat", "+447812345333", "lonely"),
    ]
    assert [r.purged_at is not None for r in referrals(session)] == [True, False, False]
    assert session.scalar(sa.select(sa.func.count(ReferralEvent.id))) == 2 + 3 + 2
    assert texts_to(session, "+447812345111") == []
    assert session.scalar(sa.select(sa.func.count(PartnerNumber.id))) == 1
    assert services.purge_unconverted(session, NOW) == 0


def test_the_demo_bank_takes_referrals_from_its_gp_practice_at_every_stage(session):
    from timebank.demo.seed import seed_demo_bank
    from timebank.demo.story import GP_PRACTICE
    from timebank.ledger.verify import verify_ledger

    bank = seed_demo_bank(session, today=dt.date(2025, 3, 31))

    partner = partner_for_number(session, bank.id, "+447400000001")
    assert partner is not None and partner.name == GP_PRACTICE
    assert bank.sms_number == "+447400000000"
    assert sorted({r.status for r in referrals(session)}) == [
        "consented", "declined", "first_exchange", "invited", "joined", "no_reply"
    ]  # fmt: skip
    assert verify_ledger(session).ok
