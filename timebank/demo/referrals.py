"""GP referrals by text in the demo bank: a practice as partner, referrals at each stage."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.demo.stamps import at, fixed_clock
from timebank.demo.story import DEMO_SMS_NUMBER, GP_PRACTICE, PRACTICE_MOBILE, REFERRALS
from timebank.members.models import Member, Organisation
from timebank.referrals import partners, services
from timebank.referrals import sms as texts
from timebank.sms.commands import Join, Refer
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import TimeBank


def seed_referrals(session: so.Session, bank_id: int, today: dt.date) -> None:
    """Make the GP practice a referral partner and add referrals at each stage."""
    bank = session.get(TimeBank, bank_id)
    assert bank is not None
    bank.sms_number = DEMO_SMS_NUMBER
    members = {m.display_name: m for m in session.scalars(sa.select(Member).where(
        Member.bank_id == bank_id))}  # fmt: skip
    admin = next(m.id for m in members.values() if m.role == "admin")
    broker = next(m.id for m in members.values() if m.role == "broker")
    org = session.scalars(sa.select(Organisation.id).where(
        Organisation.bank_id == bank_id, Organisation.name == GP_PRACTICE)).one()  # fmt: skip
    session.commit()
    partner = partners.add_partner(session, bank_id, admin, GP_PRACTICE, org)
    partners.add_partner_number(session, bank_id, admin, partner.id, PRACTICE_MOBILE)

    def day(days_ago: int) -> dt.datetime:
        return at(today - dt.timedelta(days=days_ago), 10)

    for name, ago, mobile, reason, answer in REFERRALS:
        member = members.get(name)
        e164 = mobile or (member.mobile_e164 if member else None)
        assert e164 is not None
        texts.handle_refer(session, bank, partner, Refer(e164, name.split()[0], reason), day(ago))
        if answer is not None:
            texts.handle_invitation_answer(session, bank, e164, answer, day(ago - 1))
        session.commit()
        if member is not None:  # these two joined: a broker called, then signed them up
            referral = services.open_referral_for(session, bank_id, e164)
            assert referral is not None
            services.mark_contacted(
                session, bank_id, referral.id, broker, fixed_clock(day(ago - 2))
            )
            services.link_member(
                session, bank_id, referral.id, member.id, broker, fixed_clock(member.joined_at)
            )
    texts.handle_join(session, bank, "+447812000305", Join("Priya"), day(1))
    session.commit()
    services.follow_up_referrals(session, at(today, 0))
    # These texts belong to the story's past: show them as sent, not waiting to go out.
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.bank_id == bank_id, OutboxMessage.purpose.like("referral%"))
        .values(status="sent", sent_at=OutboxMessage.created_at)
    )
    session.commit()
