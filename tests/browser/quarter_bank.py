"""A time bank with a typical quarter behind it, for the printout tests.

The demo bank seeded as on the first day of this quarter: about sixty members, six months
of exchanges (over a hundred in the last quarter, some in groups), and a GP practice's
referrals in that quarter. A second practice refers six more people, three of whom join,
so the report has referrals from two practices, as a real bank's would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.demo.seed import seed_demo_bank
from timebank.members.models import Member
from timebank.reports.period import Period, preset
from timebank.tenancy.models import TimeBank

SECOND_PRACTICE = "Downham Surgery"
SECOND_PRACTICE_MOBILE = "07400 000002"
# (name, days before the quarter ends, mobile or None for the member of that name, answer)
SECOND_REFERRALS = (
    ("Sheila Barnes", 85, None, True),
    ("Phyllis Morgan", 65, None, True),
    ("Elena Popescu", 40, None, True),
    ("Norman", 30, "+447812000401", True),
    ("Edna", 20, "+447812000402", False),
    ("Cyril", 10, "+447812000403", None),
)


def seed_quarter_bank(session: so.Session, today: dt.date) -> Period:
    """Seed the demo bank as it was when last quarter ended; return that quarter."""
    quarter = preset("last_quarter", today)
    bank = seed_demo_bank(session, today=quarter.end + dt.timedelta(days=1))
    _second_practice(session, bank, quarter.end)
    return quarter


def _second_practice(session: so.Session, bank: TimeBank, last_day: dt.date) -> None:
    """Add a second practice and its referrals, by text as a surgery sends them."""
    from timebank.referrals import partners, services
    from timebank.referrals import sms as texts
    from timebank.sms.commands import Refer

    people = {m.display_name: m for m in session.scalars(sa.select(Member).where(
        Member.bank_id == bank.id))}  # fmt: skip
    admin = next(m.id for m in people.values() if m.role == "admin")
    broker = next(m.id for m in people.values() if m.role == "broker")
    partner = partners.add_partner(session, bank.id, admin, SECOND_PRACTICE)
    partners.add_partner_number(session, bank.id, admin, partner.id, SECOND_PRACTICE_MOBILE)
    for name, ago, mobile, answer in SECOND_REFERRALS:
        member = people.get(name)
        e164 = mobile or (member.mobile_e164 if member else None)
        assert e164 is not None
        at = dt.datetime.combine(last_day - dt.timedelta(days=ago), dt.time(10), dt.UTC)
        texts.handle_refer(session, bank, partner, Refer(e164, name.split()[0], "lonely"), at)
        if answer is not None:
            texts.handle_invitation_answer(session, bank, e164, answer, at + dt.timedelta(hours=2))
        session.commit()
        if member is not None:
            referral = services.open_referral_for(session, bank.id, e164)
            assert referral is not None
            # A broker called the next day; the person joined on their join day (after it).
            called = at + dt.timedelta(days=1)
            services.mark_contacted(session, bank.id, referral.id, broker, _clock(called))
            joined = _clock(member.joined_at)
            services.link_member(session, bank.id, referral.id, member.id, broker, joined)


def _clock(stamp: dt.datetime) -> Callable[[], dt.datetime]:
    """Return a clock stopped at `stamp`."""
    return lambda: stamp
