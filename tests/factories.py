"""factory-boy factories. They create through the services, so every member has an account."""

from __future__ import annotations

import datetime as dt
import uuid

import factory

from timebank.extensions import db
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.models import Member, Organisation
from timebank.membership.banks import create_time_bank
from timebank.membership.services import add_member, add_organisation
from timebank.offers.models import Listing
from timebank.tenancy.models import TimeBank


class TimeBankFactory(factory.Factory):
    class Meta:
        model = TimeBank

    name = factory.Sequence(lambda n: f"Test Time Bank {n}")
    slug = factory.Sequence(lambda n: f"test-bank-{n}")

    @classmethod
    def _create(cls, model_class, name, slug, **settings):
        return create_time_bank(db.session, name, slug, **settings)


class MemberFactory(factory.Factory):
    class Meta:
        model = Member

    bank = factory.SubFactory(TimeBankFactory)
    display_name = factory.Sequence(lambda n: f"Member {n}")
    mobile = factory.Sequence(lambda n: f"07123 {n % 1000000:06d}")
    role = "member"
    status = "active"
    area = None

    @classmethod
    def _create(cls, model_class, bank, **fields):
        return add_member(db.session, bank.id, **fields)


class OrganisationFactory(factory.Factory):
    class Meta:
        model = Organisation

    bank = factory.SubFactory(TimeBankFactory)
    name = factory.Sequence(lambda n: f"Surgery {n}")
    kind = "gp_practice"

    @classmethod
    def _create(cls, model_class, bank, name, kind):
        return add_organisation(db.session, bank.id, name, kind)


class ListingFactory(factory.Factory):
    """An open offer or request, posted through the service by an active member."""

    class Meta:
        model = Listing

    member = factory.SubFactory(MemberFactory)
    kind = "offer"
    skill_category = "Gardening"
    title = factory.Sequence(lambda n: f"Weeding and pruning {n}")
    description = "Happy to help keep a small garden tidy."
    availability = "Weekday mornings"
    area = "Catford"

    @classmethod
    def _create(cls, model_class, member, **fields):
        from timebank.offers.services import ListingDraft, post_listing

        return post_listing(db.session, member.bank_id, member.id, ListingDraft(**fields))


TEST_PASSWORD = "kettle garden blue"


def sign_in_as(client, member: Member, password: str = TEST_PASSWORD):
    """Give `member` a password and sign them in on `client`; return the response."""
    from timebank.members.signin import set_password

    set_password(db.session, member.bank_id, member.id, password)
    bank = db.session.get(TimeBank, member.bank_id)
    identifier = member.mobile_e164 or member.email
    return client.post(
        "/sign-in", data={"bank": bank.slug, "identifier": identifier, "password": password}
    )


def noon_on(day: dt.date):
    """Return a clock stopped at noon UTC on `day` (noon is the same day in London)."""
    stamp = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    return lambda: stamp


def member_joined(bank, name: str, joined: dt.date, **fields) -> Member:
    """Add an active member of `bank` who joined on `joined`."""
    return MemberFactory(bank=bank, display_name=name, now=noon_on(joined), **fields)


def record_help(session, giver, receiver, minutes=60, on=None, skill=None, by=None) -> uuid.UUID:
    """Record `giver` helping `receiver` (logged by `by`, else the receiver: posted at once).

    Logged by the giver, the exchange waits for the receiver to confirm it. An exchange on a
    given day is recorded at noon that day, within what the date rule allows. Returns its id.
    """
    result = record_exchange(
        session,
        ExchangeRequest(
            transfer_id=uuid.uuid4(),
            bank_id=giver.bank_id,
            giver_id=giver.id,
            receiver_id=receiver.id,
            minutes=minutes,
            recorded_by_id=(by or receiver).id,
            happened_on=on,
            skill_category=skill,
        ),
        **({"now": noon_on(on)} if on is not None else {}),
    )
    return result.id
