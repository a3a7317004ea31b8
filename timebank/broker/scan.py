"""The dormancy scan: one streamed query sums up every member's activity, the rules flag them.

Each member's activity (first and last exchange, what they gave and received, their rhythm,
balance, referral and open offers) is aggregated by the database in one statement and read
back in batches, so the scan never loads the transfer log into Python. Each row becomes a
`MemberActivity` for the pure rules in `timebank.broker.dormancy`.

An exchange, for these rules, is help given between two members: a transfer coded exchange
or group that posted at once, or the post_pending transfer that confirmed a pending one
(it carries the pending exchange's code, accounts and day). Exchanges dated after `today`
are left out, so a scan "as of" a past day sees that day's history; balances are always
today's, as the accounts hold them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.dormancy import DormancySettings, Flag, MemberActivity, flags_for
from timebank.errors import InvalidInput
from timebank.ledger.models import Account, Transfer
from timebank.ledger.queries import TRADE_CODES, today_in
from timebank.members.models import Member
from timebank.offers.models import Listing, ListingContact
from timebank.referrals.models import Referral
from timebank.tenancy.models import TimeBank

BATCH_SIZE = 1000
# Resolving phases that move hours: posted at once, or a pending exchange confirmed.
EXCHANGE_PHASES = ("posted", "post_pending")
# An account with no overdraft limit is never near it; the rule compares against this.
NO_LIMIT = -(10**15)


@dataclass(frozen=True, slots=True)
class WorklistLine:
    """One flag on the broker's worklist, with the member's full name."""

    name: str
    flag: Flag


def scan_dormant(
    session: so.Session,
    bank_id: int,
    today: dt.date,
    settings: DormancySettings = DormancySettings(),  # noqa: B008 (frozen, so safe to share)
) -> Iterator[Flag]:
    """Stream the dormancy flags of every member of a time bank, member by member."""
    for _name, activity in _activities(session, bank_id, today, settings):
        yield from flags_for(activity, today, settings)


def dormant_worklist(
    session: so.Session,
    slug: str,
    today: dt.date | None = None,
    settings: DormancySettings = DormancySettings(),  # noqa: B008 (frozen, so safe to share)
) -> list[WorklistLine]:
    """Return a time bank's dormancy flags, the longest-waiting first."""
    bank = session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        raise InvalidInput(f"There is no time bank called {slug}.")
    day = today or today_in(bank.timezone)
    lines = [
        WorklistLine(name, flag)
        for name, activity in _activities(session, bank.id, day, settings)
        for flag in flags_for(activity, day, settings)
    ]
    # Sorting is stable, so a member's flags keep the rules' order on the same day.
    return sorted(lines, key=lambda line: line.flag.since)


def _activities(
    session: so.Session, bank_id: int, today: dt.date, settings: DormancySettings
) -> Iterator[tuple[str, MemberActivity]]:
    zone = zoneinfo.ZoneInfo(
        session.scalar(sa.select(TimeBank.timezone).where(TimeBank.id == bank_id)) or "UTC"
    )
    window_start = today - dt.timedelta(days=settings.rhythm_window_days)
    rows = session.execute(
        activity_query(bank_id, today, window_start),
        execution_options={"stream_results": True, "yield_per": BATCH_SIZE},
    )
    for row in rows:
        yield row.display_name, _activity(row, zone, window_start)


def activity_query(bank_id: int, today: dt.date, window_start: dt.date) -> sa.Select:
    """Build the one statement that sums up each member's activity, ordered by member."""
    exchanges = _exchange_summary(bank_id, today, window_start)
    referred = _first_referral(bank_id)
    offers = _open_offers(bank_id)
    return (
        sa.select(
            Member.id,
            Member.display_name,
            Member.status,
            Member.do_not_contact,
            Member.joined_at,
            Account.credits_posted,
            Account.debits_posted,
            Account.min_balance,
            referred.c.referred_at,
            exchanges,
            offers.c.open_offers,
            offers.c.oldest_unanswered_at,
        )
        .select_from(Member)
        .outerjoin(Account, Account.member_id == Member.id)
        .outerjoin(exchanges, exchanges.c.member_id == Member.id)
        .outerjoin(referred, referred.c.member_id == Member.id)
        .outerjoin(offers, offers.c.member_id == Member.id)
        # Brokers and admins are the time bank's staff, not people it reaches out to.
        .where(Member.bank_id == bank_id, Member.role == "member")
        .order_by(Member.id)
    )


def _exchange_sides(bank_id: int, today: dt.date) -> sa.Subquery:
    """Each exchange twice: once for the member who gave, once for the one who received."""
    transfer = Transfer.__table__
    giver = Account.__table__.alias("giver")
    receiver = Account.__table__.alias("receiver")
    # Reversals and the exchanges they cancel are both ignored for now: a reversed exchange
    # still counts as one that happened (reversals are rare and a broker can see them).
    between_members = transfer.join(giver, giver.c.id == transfer.c.credit_account_id).join(
        receiver, receiver.c.id == transfer.c.debit_account_id
    )
    conditions = (
        transfer.c.bank_id == bank_id,
        transfer.c.code.in_(TRADE_CODES),
        transfer.c.phase.in_(EXCHANGE_PHASES),
        transfer.c.happened_on <= today,
        giver.c.member_id.is_not(None),
        receiver.c.member_id.is_not(None),
    )
    gave = sa.select(
        giver.c.member_id.label("member_id"),
        sa.literal_column("1").label("given"),
        transfer.c.happened_on.label("happened_on"),
    )
    received = sa.select(receiver.c.member_id, sa.literal_column("0"), transfer.c.happened_on)
    return sa.union_all(
        gave.select_from(between_members).where(*conditions),
        received.select_from(between_members).where(*conditions),
    ).subquery("sides")


def _exchange_summary(bank_id: int, today: dt.date, window_start: dt.date) -> sa.Subquery:
    """Per member: first and last exchange, last given and received, counts by kind and time."""
    sides = _exchange_sides(bank_id, today)
    # Counts are of transfers: a giver to three people in one group exchange counts three.
    # The last window runs from `window_start` (the rhythm flag's `since`) to today.
    day, gave, received = sides.c.happened_on, sides.c.given == 1, sides.c.given == 0
    return (
        sa.select(
            sides.c.member_id,
            sa.func.min(day).label("first_exchange_on"),
            sa.func.max(day).label("last_exchange_on"),
            sa.func.max(sa.case((gave, day))).label("last_given_on"),
            sa.func.max(sa.case((received, day))).label("last_received_on"),
            sa.func.count(sa.case((gave, 1))).label("given"),
            sa.func.count(sa.case((received, 1))).label("received"),
            sa.func.count(sa.case((day >= window_start, 1))).label("in_window"),
            sa.func.count(sa.case((day < window_start, 1))).label("before_window"),
        )
        .group_by(sides.c.member_id)
        .subquery("exchanges")
    )


def _first_referral(bank_id: int) -> sa.Subquery:
    """Per referred member: when the earliest referral that led to them arrived."""
    return (
        sa.select(Referral.member_id, sa.func.min(Referral.created_at).label("referred_at"))
        .where(Referral.bank_id == bank_id, Referral.member_id.is_not(None))
        .group_by(Referral.member_id)
        .subquery("referred")
    )


def _open_offers(bank_id: int) -> sa.Subquery:
    """Per member: how many offers are open, and when the oldest nobody answered was posted."""
    answered = (
        sa.select(ListingContact.listing_id)
        .where(ListingContact.bank_id == bank_id)
        .distinct()
        .subquery("answered")
    )
    unanswered = answered.c.listing_id.is_(None)
    return (
        sa.select(
            Listing.member_id,
            sa.func.count(Listing.id).label("open_offers"),
            sa.func.min(sa.case((unanswered, Listing.created_at))).label("oldest_unanswered_at"),
        )
        .outerjoin(answered, answered.c.listing_id == Listing.id)
        .where(Listing.bank_id == bank_id, Listing.kind == "offer", Listing.status == "open")
        .group_by(Listing.member_id)
        .subquery("offers")
    )


def _activity(row: sa.Row, zone: zoneinfo.ZoneInfo, window_start: dt.date) -> MemberActivity:
    first = row.first_exchange_on
    balance = (row.credits_posted or 0) - (row.debits_posted or 0)
    return MemberActivity(
        member_id=row.id,
        first_name=first_word(row.display_name),
        status=row.status,
        do_not_contact=bool(row.do_not_contact),
        joined_on=local_date(row.joined_at, zone),
        referred_on=local_date(row.referred_at, zone) if row.referred_at else None,
        first_exchange_on=first,
        last_exchange_on=row.last_exchange_on,
        last_given_on=row.last_given_on,
        last_received_on=row.last_received_on,
        given_since_joined=row.given or 0,
        received_since_joined=row.received or 0,
        balance_minutes=balance,
        overdraft_minutes=NO_LIMIT if row.min_balance is None else row.min_balance,
        open_offers=row.open_offers or 0,
        oldest_unanswered_offer_on=(
            local_date(row.oldest_unanswered_at, zone) if row.oldest_unanswered_at else None
        ),
        exchanges_last_window=row.in_window or 0,
        exchanges_before_window=row.before_window or 0,
        days_before_window=max(0, (window_start - first).days) if first else 0,
    )


def local_date(stamp: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    """Return the day a stored time fell on in the time bank's time zone."""
    # SQLite hands back naive datetimes; every stored time is UTC.
    aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).date()


def first_word(display_name: str) -> str:
    """Return a member's first name from their display name, as `Member.first_name` does."""
    return display_name.split()[0] if display_name.strip() else display_name
