"""The dormancy scan: the database sums up every member's activity, the rules flag them.

Each account keeps its own trades on each side (how many, the first and last day; posting
updates them with the counters), so the log itself is read only for the rhythm window: the
first statement counts each account's trades of the window's days into a temporary table, a
plain statement, which PostgreSQL may run on several cores, where a server-side cursor's
plan never runs in parallel. The second joins members with their account, those counts,
their referral and open offers, and is read back in batches through a server-side cursor,
so the scan never loads the transfer log or every member into Python. Each row becomes a
`MemberActivity` for the pure rules in `timebank.broker.dormancy`.

An exchange, for these rules, is help given between two members: a transfer coded exchange
or group that posted at once, or the post_pending transfer that confirmed a pending one
(it carries the pending exchange's code, accounts and day). Exchanges dated after `today`
are left out, so a scan "as of" a past day sees that day's history: when the bank has any,
the first statement sums every account's trades up to that day from the log instead, as
the accounts' totals include the later ones. Balances are always today's, as the accounts
hold them.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.dormancy import (
    DormancySettings,
    Flag,
    MemberActivity,
    flags_for,
    may_contact,
)
from timebank.clock import as_utc
from timebank.db import create_scratch
from timebank.errors import InvalidInput
from timebank.ledger.models import RESOLVED_TRADE, Account, Transfer
from timebank.members.models import Member, first_name_of, is_not_staff
from timebank.offers.models import Listing, ListingContact
from timebank.outcomes.models import OutcomeRound
from timebank.outcomes.questions import OFTEN_LONELY
from timebank.referrals.models import Referral
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank

BATCH_SIZE = 1000
# The per-account sums of one scan; dropped at the end of the transaction on PostgreSQL, and
# by the next scan on the same connection on SQLite.
TRADES_TABLE = "dormancy_trades"
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
    day = today or today_in_zone(bank.timezone)
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
    zone_name = session.scalar(sa.select(TimeBank.timezone).where(TimeBank.id == bank_id))
    zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    window_start = today - dt.timedelta(days=settings.rhythm_window_days)
    in_database = session.get_bind().dialect.name == "postgresql"
    if in_database:
        # The statements look costly enough to PostgreSQL to compile them to machine code
        # (JIT), which takes longer than the scan saves. Until this transaction ends only.
        session.execute(sa.text("SET LOCAL jit = off"))
    # As of a past day, the accounts' totals would include later trades: sum the log instead.
    sums = _any_trade_after(session, bank_id, today)
    if sums:
        trades = _sum_trades(session, bank_id, today, window_start)
    else:
        trades = _count_window(session, bank_id, today, window_start)
    # PostgreSQL turns stored times into the bank's days itself; SQLite's come back as UTC.
    local_zone = zone.key if in_database else None
    # Through the session's connection, in its transaction: plain rows, read about twice as
    # fast as through the ORM's result.
    rows = session.connection().execute(
        activity_query(bank_id, trades, local_zone, sums=sums),
        execution_options={"stream_results": True, "yield_per": BATCH_SIZE},
    )
    day = _same_day if in_database else functools.partial(_optional_local_date, zone=zone)
    for row in rows:
        # The rules flag nobody who may not be contacted; skip building what they would drop.
        if may_contact(row[2], row[3]):
            yield row[1], _activity(row, day, window_start)


def _any_trade_after(session: so.Session, bank_id: int, today: dt.date) -> bool:
    """Say whether the bank has a trade dated after `today` (a scan as of a past day)."""
    transfer = Transfer.__table__
    later = sa.select(transfer.c.id).where(
        transfer.c.bank_id == bank_id, sa.text(RESOLVED_TRADE), transfer.c.happened_on > today
    )
    return bool(session.scalar(sa.select(later.exists())))


def _count_window(
    session: so.Session, bank_id: int, today: dt.date, window_start: dt.date
) -> sa.Table:
    """Count each account's trades of the rhythm window into a temporary table; return it.

    The totals, first and last days come from the accounts themselves (posting keeps them),
    so only the window's days of the log are read: one range of `ix_transfers_trades_by_day`
    per side, index-only.
    """
    transfer = Transfer.__table__
    day = transfer.c.happened_on
    sides = [
        sa.select(account.label("account_id")).where(
            transfer.c.bank_id == bank_id,
            sa.text(RESOLVED_TRADE),
            day >= window_start,
            day <= today,
        )
        for account in (transfer.c.credit_account_id, transfer.c.debit_account_id)
    ]
    both = sa.union_all(*sides).subquery("sides")
    counts = sa.select(both.c.account_id, sa.func.count().label("in_window")).group_by(
        both.c.account_id
    )
    return create_scratch(session, TRADES_TABLE, counts, analyse=False)


# Each side's first and last day of trades and how many: what the accounts keep, and what
# `_sum_trades` works out from the log as of a past day.
_TOTALS = (
    "first_given_on",
    "last_given_on",
    "trades_given",
    "first_received_on",
    "last_received_on",
    "trades_received",
)


def _sum_trades(
    session: so.Session,
    bank_id: int,
    today: dt.date,
    window_start: dt.date,
) -> sa.Table:
    """Sum each account's trades up to `today` on both sides into a temporary table; return it.

    For a scan as of a past day, when the accounts' totals would include later trades.
    """
    given = _trades(bank_id, today, window_start, "given")
    received = _trades(bank_id, today, window_start, "received")
    in_window = sa.func.coalesce(given.c.given_in_window, 0) + sa.func.coalesce(
        received.c.received_in_window, 0
    )
    sums = sa.select(
        sa.func.coalesce(given.c.account_id, received.c.account_id).label("account_id"),
        given.c.first_given_on,
        given.c.last_given_on,
        given.c.trades_given,
        received.c.first_received_on,
        received.c.last_received_on,
        received.c.trades_received,
        in_window.label("in_window"),
    ).select_from(given.join(received, given.c.account_id == received.c.account_id, full=True))
    return create_scratch(session, TRADES_TABLE, sums, analyse=False)


def activity_query(
    bank_id: int, trades: sa.Table, local_zone: str | None = None, *, sums: bool = False
) -> sa.Select[typing.Any]:
    """Build the statement that reads each member's activity, ordered by member.

    `trades` holds each account's count of trades in the rhythm window (`_count_window`):
    the totals, first and last days are the account's own. With `sums`, it holds all of
    those as of a past day (`_sum_trades`), and they are read from it instead. With
    `local_zone`, stored times come back as days in that time zone (PostgreSQL only);
    without, as they are stored.
    """
    referred = _first_referral(bank_id)
    offers = _open_offers(bank_id)
    lonely = _often_lonely(bank_id)

    def day(stamp: sa.SQLColumnExpression[typing.Any]) -> sa.SQLColumnExpression[typing.Any]:
        if local_zone is None:
            return stamp
        return sa.cast(sa.func.timezone(local_zone, stamp), sa.Date)

    # The account's own totals, or the log's sums as of a past day.
    totals = trades if sums else typing.cast(sa.Table, Account.__table__)

    return (
        sa.select(
            Member.id,
            Member.display_name,
            Member.status,
            Member.do_not_contact,
            day(Member.joined_at),
            Account.credits_posted,
            Account.debits_posted,
            Account.min_balance,
            day(referred.c.referred_at),
            *(totals.c[name] for name in _TOTALS),
            trades.c.in_window,
            offers.c.open_offers,
            day(offers.c.oldest_unanswered_at),
            day(lonely.c.often_lonely_at),
        )
        .select_from(Member)
        .outerjoin(Account, Account.member_id == Member.id)
        .outerjoin(trades, trades.c.account_id == Account.id)
        .outerjoin(referred, referred.c.member_id == Member.id)
        .outerjoin(offers, offers.c.member_id == Member.id)
        .outerjoin(lonely, lonely.c.member_id == Member.id)
        # Brokers and admins are the time bank's staff, not people it reaches out to.
        .where(Member.bank_id == bank_id, is_not_staff(Member.role))
        .order_by(Member.id)
    )


def _trades(bank_id: int, today: dt.date, window_start: dt.date, side: str) -> sa.Subquery:
    """Per account, on one side of its exchanges: first and last day, how many, how many lately.

    `side` is "given" (the account credited: the member who helped) or "received". Summing
    per account before anything is joined keeps it to one pass over the trades up to `today`
    (`ix_transfers_trades_by_day`, partial on the same condition as here). Both accounts of
    an exchange are always members' accounts: the ledger records exchanges between members
    only.
    """
    transfer = Transfer.__table__
    account = transfer.c.credit_account_id if side == "given" else transfer.c.debit_account_id
    day = transfer.c.happened_on
    return (
        sa.select(
            account.label("account_id"),
            sa.func.min(day).label(f"first_{side}_on"),
            sa.func.max(day).label(f"last_{side}_on"),
            sa.func.count().label(f"trades_{side}"),
            sa.func.count(sa.case((day >= window_start, 1))).label(f"{side}_in_window"),
        )
        # The very words of the index's condition, so the database can tell it applies.
        .where(transfer.c.bank_id == bank_id, sa.text(RESOLVED_TRADE), day <= today)
        .group_by(account)
        .subquery(side)
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


def _often_lonely(bank_id: int) -> sa.Subquery:
    """Per member whose latest answer on loneliness was "often or always": when they said it."""
    later = so.aliased(OutcomeRound)
    newer = (
        sa.select(later.id)
        .where(later.member_id == OutcomeRound.member_id, later.lonely_at > OutcomeRound.lonely_at)
        .exists()
    )
    return (
        sa.select(OutcomeRound.member_id, OutcomeRound.lonely_at.label("often_lonely_at"))
        .where(OutcomeRound.bank_id == bank_id, OutcomeRound.lonely == OFTEN_LONELY, ~newer)
        .subquery("lonely")
    )


def _activity(
    row: sa.Row[typing.Any], day: Callable[[typing.Any], typing.Any], window_start: dt.date
) -> MemberActivity:
    # Unpacked by position, in `activity_query`'s order: a hundred thousand rows read
    # several times faster than by name. `day` turns a stored time into the bank's day.
    (
        member_id,
        display_name,
        status,
        do_not_contact,
        joined_at,
        credits_posted,
        debits_posted,
        min_balance,
        referred_at,
        first_given_on,
        last_given_on,
        given,
        first_received_on,
        last_received_on,
        received,
        in_window,
        open_offers,
        oldest_unanswered_at,
        often_lonely_at,
    ) = row
    first = _earlier(first_given_on, first_received_on)
    given, received, in_window = given or 0, received or 0, in_window or 0
    return MemberActivity(
        member_id=member_id,
        first_name=first_name_of(display_name),
        status=status,
        do_not_contact=bool(do_not_contact),
        joined_on=day(joined_at),
        referred_on=day(referred_at),
        first_exchange_on=first,
        last_exchange_on=_later(last_given_on, last_received_on),
        last_given_on=last_given_on,
        last_received_on=last_received_on,
        given_since_joined=given,
        received_since_joined=received,
        balance_minutes=(credits_posted or 0) - (debits_posted or 0),
        overdraft_minutes=NO_LIMIT if min_balance is None else min_balance,
        open_offers=open_offers or 0,
        oldest_unanswered_offer_on=day(oldest_unanswered_at),
        exchanges_last_window=in_window,
        exchanges_before_window=given + received - in_window,
        days_before_window=max(0, (window_start - first).days) if first else 0,
        often_lonely_on=day(often_lonely_at),
    )


def _earlier(one: dt.date | None, other: dt.date | None) -> dt.date | None:
    """Return the earlier of two days, either of which may be missing."""
    if one is None or other is None:
        return one or other
    return min(one, other)


def _later(one: dt.date | None, other: dt.date | None) -> dt.date | None:
    """Return the later of two days, either of which may be missing."""
    if one is None or other is None:
        return one or other
    return max(one, other)


def _same_day(day: typing.Any) -> typing.Any:
    """Return a day the database already worked out, as it is (None stays None)."""
    return day


def _optional_local_date(stamp: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> dt.date | None:
    """Return the day a stored time fell on in the zone, or None when there is no time."""
    return None if stamp is None else local_date(stamp, zone)


def local_date(stamp: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    """Return the day a stored time fell on in the time bank's time zone."""
    return as_utc(stamp).astimezone(zone).date()
