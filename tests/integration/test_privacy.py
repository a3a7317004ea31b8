"""Erasing a departed member: personal details go, the ledger stays whole and verifying."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory
from tests.functional.ledger_pages import give
from timebank.errors import InvalidInput
from timebank.ledger.models import Transfer
from timebank.ledger.verify import verify_ledger
from timebank.members.models import SignInCode
from timebank.members.signin import request_sign_in_code, set_password
from timebank.membership.privacy import as_text, erase_member, member_data, pseudonym
from timebank.membership.services import account_of, set_member_status
from timebank.offers.models import Listing, ListingContact
from timebank.offers.services import contact_listing
from timebank.sms.models import OutboxMessage


def give_weeding(giver, receiver, minutes):
    """Record weeding help, as the receiver would, so it posts at once."""
    return give(
        giver,
        receiver,
        minutes,
        by=receiver,
        happened_on=dt.date.today(),
        description="Weeding",
        skill_category="Gardening",
    )


@pytest.fixture
def leaver(session, bank):
    """Return Jordan, who traded, posted, answered, got texts and a code, then left."""
    jordan = MemberFactory(bank=bank, display_name="Jordan Reid", mobile="07123 555111",
                           area="Catford")  # fmt: skip
    jordan.email, jordan.skills, jordan.help_wanted = "jordan@example.org", "IT help", "Lifts"
    jordan.availability, jordan.show_mobile = "Evenings", True
    session.commit()
    set_password(session, bank.id, jordan.id, "a long enough password")
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    give_weeding(jordan, sam, 120)
    give_weeding(sam, jordan, 45)
    ListingFactory(member=jordan, title="Fixing laptops", description="Bring it round")
    sams = ListingFactory(member=sam, kind="request", title="Tablet help")
    contact_listing(session, bank.id, jordan.id, sams.id, "I can come on Monday")
    theirs = ListingFactory(member=jordan, kind="request", title="A lift")
    contact_listing(session, bank.id, sam.id, theirs.id, "Happy to drive you, Jordan")
    request_sign_in_code(session, bank.id, bank.name, "07123 555111")
    set_member_status(session, bank.id, jordan.id, "left")
    return jordan, sam


def balances(session, bank, *members):
    return [account_of(session, bank.id, m.id).balance for m in members]


def test_pseudonyms_are_deterministic_short_and_unique():
    names = [pseudonym(member_id) for member_id in range(1, 20001)]

    assert pseudonym(7) == pseudonym(7)
    assert len(set(names)) == len(names)
    assert all(name.startswith("Former member ") and len(name) == 18 for name in names)
    assert pseudonym(2_000_000) != pseudonym(2_000_000 % 32**4)


def test_erasing_refuses_a_member_who_has_not_left(session, bank):
    member = MemberFactory(bank=bank, display_name="Still Here")

    with pytest.raises(InvalidInput, match="has not left"):
        erase_member(session, bank.id, member.id)

    session.refresh(member)
    assert member.display_name == "Still Here" and member.erased_at is None


def test_erasing_removes_personal_details_and_resets_sharing(session, bank, leaver):
    jordan, _ = leaver

    erase_member(session, bank.id, jordan.id)

    session.refresh(jordan)
    assert jordan.display_name == pseudonym(jordan.id)
    assert (jordan.mobile_e164, jordan.email, jordan.area, jordan.password_hash) == (None,) * 4
    assert (jordan.skills, jordan.help_wanted, jordan.availability) == ("", "", "")
    assert (jordan.show_mobile, jordan.show_area, jordan.sms_notifications) == (False,) * 3
    assert jordan.erased_at is not None and jordan.status == "left"


def test_erasing_closes_and_blanks_listings_contacts_texts_and_codes(session, bank, leaver):
    jordan, sam = leaver

    erase_member(session, bank.id, jordan.id)

    listings = session.scalars(sa.select(Listing).where(Listing.member_id == jordan.id)).all()
    assert {(item.status, item.description, item.area) for item in listings} == {("closed", "", "")}
    assert "Fixing laptops" not in {item.title for item in listings}
    messages = session.scalars(sa.select(ListingContact.message)).all()
    assert messages == ["", ""]
    texts = session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.member_id == jordan.id)
    ).all()
    assert texts and all(t.to_e164 == "" and "Jordan" not in t.body for t in texts)
    assert all(t.status != "queued" for t in texts)
    assert session.scalar(sa.select(sa.func.count()).select_from(SignInCode)) == 0
    # Sam's own listing and details are untouched.
    assert session.scalar(sa.select(Listing.title).where(Listing.member_id == sam.id)) == (
        "Tablet help"
    )


def test_erasing_keeps_the_ledger_whole_and_balances_unchanged(session, bank, leaver):
    jordan, sam = leaver
    before = balances(session, bank, jordan, sam)
    transfers_before = session.execute(sa.select(Transfer.id, Transfer.amount)).all()
    session.rollback()

    erase_member(session, bank.id, jordan.id)

    assert balances(session, bank, jordan, sam) == before == [75, -75]
    assert session.execute(sa.select(Transfer.id, Transfer.amount)).all() == transfers_before
    report = verify_ledger(session)
    assert report.ok, report.problems
    assert report.transfers == len(transfers_before)


def test_erasing_twice_is_refused(session, bank, leaver):
    jordan, _ = leaver
    erase_member(session, bank.id, jordan.id)

    with pytest.raises(InvalidInput, match="already been erased"):
        erase_member(session, bank.id, jordan.id)


def test_an_erased_members_data_holds_nothing_personal(session, bank, leaver):
    jordan, _ = leaver
    erase_member(session, bank.id, jordan.id)

    text = as_text(member_data(session, bank.id, jordan.id), bank.name, dt.datetime.now(dt.UTC))

    for detail in ("Jordan", "555111", "jordan@example.org", "Fixing laptops", "Monday"):
        assert detail not in text


def test_erasing_blanks_the_words_of_texts_the_member_sent_in(session, bank, leaver):
    from timebank.sms.models import InboundMessage

    jordan, sam = leaver
    for sid, member in (("SM-jordan", jordan), ("SM-sam", sam)):
        session.add(
            InboundMessage(
                message_sid=sid,
                bank_id=bank.id,
                from_e164=member.mobile_e164 or "",
                kind="balance",
                body="BAL",
                member_id=member.id,
                reply="4:00",
            )
        )
    session.commit()
    erase_member(session, bank.id, jordan.id)
    rows = {row.message_sid: row for row in session.scalars(sa.select(InboundMessage))}
    assert (rows["SM-jordan"].body, rows["SM-jordan"].reply, rows["SM-jordan"].from_e164) == (
        None,
        None,
        "",
    )
    assert rows["SM-sam"].body == "BAL"


def test_my_data_includes_the_texts_a_member_sent_in(session, bank, leaver):
    from timebank.membership.privacy import member_data
    from timebank.sms.models import InboundMessage

    jordan, _ = leaver
    session.add(
        InboundMessage(
            message_sid="SM-1",
            bank_id=bank.id,
            from_e164=jordan.mobile_e164 or "",
            kind="balance",
            body="BAL",
            member_id=jordan.id,
            reply="Your balance",
        )
    )
    session.commit()
    sections = {s.slug: s for s in member_data(session, bank.id, jordan.id)}
    assert [row[3] for row in sections["texts_received"].rows] == ["BAL"]
