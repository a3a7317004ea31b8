"""Mixing: the period's giver and receiver pairs with a referred member, and those mixed.

Referred: a referral partner (such as a GP practice) referred them and they joined. A pair
is mixed when exactly one of the two was referred and the other is a member (not staff).
Each giver and receiver pair of a group exchange counts once, as a transfer.

From the summaries, a referred member's trades in whole months are their account-months'
gave and received. Nearly every one of those trades is with an ordinary member who was not
referred, and so is mixed; the few that are not (with another referred member, with staff,
or with an account no member owns) are found through the kept pairs and read from the
transfer log, pair by pair. Only the days of a month the period cuts into are read from the
log in full, for the referred members' trades of those days.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from timebank.ledger.models import RESOLVED_TRADE, TRADE_CODES, TRADE_PHASES, Account
from timebank.members.models import MEMBER_ROLE, Member
from timebank.referrals.models import Referral
from timebank.reports.models import AccountMonth, AccountPair, SummaryRefresh
from timebank.reports.period import add_months_to_first, first_of_month, last_day_of_month
from timebank.reports.scope import Scope
from timebank.reports.scratch import any_of, counted_trades, transfers


@dataclass(frozen=True)
class Mixing:
    """The period's giver and receiver pairs with a referred member, and those mixed."""

    referred: int
    mixed: int

    def __add__(self, other: Mixing) -> Mixing:
        return Mixing(self.referred + other.referred, self.mixed + other.mixed)


@dataclass(frozen=True)
class _Accounts:
    """The bank's accounts that make a trade other than plainly mixed."""

    referred: frozenset[int]
    staff: frozenset[int]
    # Accounts no member owns (an organisation's): their trades are not counted at all.
    unowned: frozenset[int]

    def counted(self, giver: int, receiver: int) -> Mixing:
        """Return what one trade between these two accounts adds to the figures."""
        if giver in self.unowned or receiver in self.unowned:
            return Mixing(0, 0)
        gave, got = giver in self.referred, receiver in self.referred
        if not (gave or got):
            return Mixing(0, 0)
        mixed = (gave and not got and receiver not in self.staff) or (
            got and not gave and giver not in self.staff
        )
        return Mixing(1, int(mixed))

    def referred_sides(self, giver: int, receiver: int) -> int:
        """Return how many of the two accounts are referred members' (0, 1 or 2)."""
        return int(giver in self.referred) + int(receiver in self.referred)


def mixing(scope: Scope) -> Mixing:
    """Count the period's pairs with a referred member, and those with one who was not."""
    accounts = _accounts(scope)
    if not accounts.referred:
        return Mixing(0, 0)
    whole, cut = _parts(scope)
    found = Mixing(0, 0)
    for start, end in cut:
        found += _from_log(scope, accounts, start, end)
    if whole is not None:
        found += _from_months(scope, accounts, *whole)
    return found


def _accounts(scope: Scope) -> _Accounts:
    """Return the bank's referred members', staff's and unowned accounts (three small reads)."""
    referred = sa.select(Account.id).where(
        Account.member_id.in_(
            sa.select(Referral.member_id).where(
                Referral.bank_id == scope.bank_id,
                Referral.partner_id.is_not(None),
                Referral.member_id.is_not(None),
            )
        )
    )
    staff = (
        sa.select(Account.id)
        .join(Member, Member.id == Account.member_id)
        .where(Member.bank_id == scope.bank_id, Member.role != MEMBER_ROLE)
    )
    unowned = sa.select(Account.id).where(
        Account.bank_id == scope.bank_id, Account.member_id.is_(None)
    )
    found = [
        frozenset(int(account) for account in scope.session.scalars(query))
        for query in (referred, staff, unowned)
    ]
    return _Accounts(*found)


def _parts(scope: Scope) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """Split the period into its whole months (if read from summaries) and the days to read.

    A month holding the period's end counts as whole when nothing happened after the end.
    """
    start, end = scope.period.start, scope.period.end
    if not scope.summaries:
        return None, [(start, end)]
    kept = scope.session.get(SummaryRefresh, scope.bank_id)
    latest = kept.latest_day if kept is not None else None
    first = start if start.day == 1 else add_months_to_first(first_of_month(start), 1)
    last = end
    if end != last_day_of_month(end) and latest is not None and end < latest:
        last = first_of_month(end) - dt.timedelta(days=1)
    if first > last:
        return None, [(start, end)]
    cut = []
    if start < first:
        cut.append((start, first - dt.timedelta(days=1)))
    if last < end:
        cut.append((last + dt.timedelta(days=1), end))
    return (first, last), cut


def _trades_between(
    scope: Scope, start: dt.date, end: dt.date, givers: Iterable[int], receivers: Iterable[int]
) -> list[tuple[int, int, int]]:
    """Count the counted trades from `start` to `end` per giver and receiver, among these."""
    transfer = transfers()
    giver, receiver = transfer.c.credit_account_id, transfer.c.debit_account_id
    query = (
        counted_trades(scope.bank_id, start, end)
        .add_columns(giver, receiver, sa.func.count())
        .where(any_of(scope.session, giver, givers), any_of(scope.session, receiver, receivers))
        .group_by(giver, receiver)
    )
    return [(int(a), int(b), int(n)) for a, b, n in scope.session.execute(query)]


def _from_log(scope: Scope, accounts: _Accounts, start: dt.date, end: dt.date) -> Mixing:
    """Count the referred members' trades from `start` to `end` from the transfer log.

    Every trade of those days whose giver or receiver was referred, less those a reversal
    undid: the first part is read from the index of trades by day alone, without the
    transfers themselves; the few reversed ones are found through the reversals.
    """
    found = Mixing(0, 0)
    for rows, sign in ((_day_trades(scope, accounts, start, end), 1),
                       (_reversed_trades(scope, accounts, start, end), -1)):  # fmt: skip
        for giver, receiver, n in rows:
            one = accounts.counted(giver, receiver)
            found += Mixing(sign * n * one.referred, sign * n * one.mixed)
    return found


def _theirs(scope: Scope, table: sa.FromClause, referred: frozenset[int]) -> typing.Any:
    """Return the condition that a trade's giver or receiver is one of `referred`."""
    giver, receiver = table.c.credit_account_id, table.c.debit_account_id
    return sa.or_(any_of(scope.session, giver, referred), any_of(scope.session, receiver, referred))


def _day_trades(
    scope: Scope, accounts: _Accounts, start: dt.date, end: dt.date
) -> list[tuple[int, int, int]]:
    """Count the days' trades with a referred side per giver and receiver, reversed or not."""
    transfer = transfers()
    giver, receiver = transfer.c.credit_account_id, transfer.c.debit_account_id
    query = (
        sa.select(giver, receiver, sa.func.count())
        .where(
            transfer.c.bank_id == scope.bank_id,
            transfer.c.happened_on.between(start, end),
            # In the words of the index of trades by day, so it is read from that alone.
            sa.text(RESOLVED_TRADE),
            _theirs(scope, transfer, accounts.referred),
        )
        .group_by(giver, receiver)
    )
    return [(int(a), int(b), int(n)) for a, b, n in scope.session.execute(query)]


def _reversed_trades(
    scope: Scope, accounts: _Accounts, start: dt.date, end: dt.date
) -> list[tuple[int, int, int]]:
    """Count the days' trades with a referred side that a reversal undid.

    A reversal moves the same minutes back between the same two accounts, so the reversals
    with a referred side are picked first, and only their trades are looked up.
    """
    transfer = transfers()
    reversal = transfer.alias("reversal")
    giver, receiver = transfer.c.credit_account_id, transfer.c.debit_account_id
    query = (
        sa.select(giver, receiver, sa.func.count())
        .select_from(reversal)
        .join(transfer, transfer.c.id == reversal.c.reverses_id)
        .where(
            reversal.c.bank_id == scope.bank_id,
            reversal.c.reverses_id.is_not(None),
            _theirs(scope, reversal, accounts.referred),
            transfer.c.happened_on.between(start, end),
            transfer.c.code.in_(TRADE_CODES),
            transfer.c.phase.in_(TRADE_PHASES),
            _theirs(scope, transfer, accounts.referred),
        )
        .group_by(giver, receiver)
    )
    return [(int(a), int(b), int(n)) for a, b, n in scope.session.execute(query)]


def _from_months(scope: Scope, accounts: _Accounts, first: dt.date, last: dt.date) -> Mixing:
    """Count the referred members' trades in whole months `first` to `last` (its last day).

    Every referred member's trade adds one to its gave or received, so their sum counts each
    trade once per referred side. A trade with an ordinary member counts once and is mixed;
    the others, between the few pairs found in the kept pairs, are read and counted apart.
    """
    kept = AccountMonth
    sides = scope.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(kept.gave + kept.received), 0)).where(
            kept.bank_id == scope.bank_id,
            any_of(scope.session, kept.account_id, accounts.referred),
            kept.month.between(first, last),
        )
    )
    total = int(sides or 0)
    found = Mixing(total, total)
    odd = accounts.referred | accounts.staff | accounts.unowned
    pairs = _odd_pairs(scope, accounts.referred, odd, first, last)
    if not pairs:
        return found
    involved = {account for pair in pairs for account in pair}
    for giver, receiver, n in _trades_between(scope, first, last, involved, involved):
        if (min(giver, receiver), max(giver, receiver)) not in pairs:
            continue
        one = accounts.counted(giver, receiver)
        sides_of_it = accounts.referred_sides(giver, receiver)
        found += Mixing(n * (one.referred - sides_of_it), n * (one.mixed - sides_of_it))
    return found


def _odd_pairs(
    scope: Scope, referred: frozenset[int], odd: frozenset[int], first: dt.date, last: dt.date
) -> set[tuple[int, int]]:
    """Return the kept pairs of a referred account with another odd one, trading in the months.

    Found from each referred account through the pairs' two indexes (as the lower account,
    then as the higher), not by reading every pair.
    """
    pair = AccountPair
    one, other = pair.one_account_id, pair.other_account_id
    when = (pair.bank_id == scope.bank_id, pair.first_day <= last, pair.last_day >= first)
    query = sa.union(
        sa.select(one, other).where(
            *when, any_of(scope.session, one, referred), any_of(scope.session, other, odd)
        ),
        sa.select(one, other).where(
            *when, any_of(scope.session, other, referred), any_of(scope.session, one, odd)
        ),
    )
    return {(int(a), int(b)) for a, b in scope.session.execute(query)}
