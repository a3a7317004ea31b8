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
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from timebank.ledger.models import Account
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
    """Return the bank's referred members', staff's and unowned accounts."""
    referred = sa.select(Referral.member_id).where(
        Referral.bank_id == scope.bank_id,
        Referral.partner_id.is_not(None),
        Referral.member_id.is_not(None),
    )
    query = (
        sa.select(Account.id, Member.id.in_(referred), Member.role, Account.member_id)
        .outerjoin(Member, Member.id == Account.member_id)
        .where(
            Account.bank_id == scope.bank_id,
            sa.or_(
                Account.member_id.is_(None),
                Member.role != MEMBER_ROLE,
                Account.member_id.in_(referred),
            ),
        )
    )
    referred_ids, staff, unowned = set(), set(), set()
    for account, is_referred, role, member in scope.session.execute(query):
        if member is None:
            unowned.add(int(account))
            continue
        if is_referred:
            referred_ids.add(int(account))
        if role != MEMBER_ROLE:
            staff.add(int(account))
    return _Accounts(frozenset(referred_ids), frozenset(staff), frozenset(unowned))


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
    """Count the referred members' trades from `start` to `end` from the transfer log."""
    transfer = transfers()
    giver, receiver = transfer.c.credit_account_id, transfer.c.debit_account_id
    mine = accounts.referred
    query = (
        counted_trades(scope.bank_id, start, end)
        .add_columns(giver, receiver, sa.func.count())
        .where(sa.or_(any_of(scope.session, giver, mine), any_of(scope.session, receiver, mine)))
        .group_by(giver, receiver)
    )
    found = Mixing(0, 0)
    for a, b, n in scope.session.execute(query):
        one = accounts.counted(int(a), int(b))
        found += Mixing(one.referred * int(n), one.mixed * int(n))
    return found


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
    """Return the kept pairs of a referred account with another odd one, trading in the months."""
    pair = AccountPair
    one, other = pair.one_account_id, pair.other_account_id
    query = sa.select(one, other).where(
        pair.bank_id == scope.bank_id,
        pair.first_day <= last,
        pair.last_day >= first,
        sa.or_(
            sa.and_(any_of(scope.session, one, referred), any_of(scope.session, other, odd)),
            sa.and_(any_of(scope.session, other, referred), any_of(scope.session, one, odd)),
        ),
    )
    return {(int(a), int(b)) for a, b in scope.session.execute(query)}
