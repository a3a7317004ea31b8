"""Recompute every account from the transfer log and check the ledger's invariants."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.ledger.models import Account, Transfer, still_pending, trade_condition

MOVED = ("posted", "post_pending")
# What each account keeps about its trades, given then received (see `Account`).
TRADE_COLUMNS = (
    "trades_given",
    "first_given_on",
    "last_given_on",
    "trades_received",
    "first_received_on",
    "last_received_on",
)
NO_TRADES = (0, None, None, 0, None, None)


@dataclass
class VerifyReport:
    """The outcome of a verification: counts, and every problem found in words."""

    banks: int = 0
    accounts: int = 0
    transfers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"{len(self.problems)} PROBLEM(S)"
        return (
            f"Ledger {verdict}: {self.banks} time bank(s), {self.accounts} account(s), "
            f"{self.transfers} transfer(s) checked."
        )


def _recomputed_counters(session: so.Session) -> dict[int, tuple[int, int, int, int]]:
    t = Transfer.__table__.alias("t")
    open_pending = still_pending(t)
    names = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")

    def moves(
        account: sa.ColumnElement[typing.Any], slot: int, where: sa.ColumnElement[typing.Any]
    ) -> sa.Select[typing.Any]:
        # Label every column: SQLAlchemy folds repeated identical expressions into one.
        amounts = [
            (t.c.amount if i == slot else sa.literal(0)).label(name) for i, name in enumerate(names)
        ]
        return sa.select(account.label("account_id"), *amounts).where(where)

    moved = t.c.phase.in_(MOVED)
    parts = [
        moves(t.c.debit_account_id, 0, moved),
        moves(t.c.credit_account_id, 1, moved),
        moves(t.c.debit_account_id, 2, open_pending),
        moves(t.c.credit_account_id, 3, open_pending),
    ]
    union = sa.union_all(*parts).subquery("moves")
    cols = list(union.c)
    stmt = sa.select(cols[0], *(sa.func.sum(c) for c in cols[1:])).group_by(cols[0])
    return {
        row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4]))
        for row in session.execute(stmt)
    }


def _check_accounts(session: so.Session, report: VerifyReport) -> None:
    expected = _recomputed_counters(session)
    totals: dict[int, list[int]] = {}
    for acc in session.execute(sa.select(Account.__table__)).mappings():
        report.accounts += 1
        stored = (
            acc["debits_posted"],
            acc["credits_posted"],
            acc["debits_pending"],
            acc["credits_pending"],
        )
        want = expected.pop(acc["id"], (0, 0, 0, 0))
        if stored != want:
            report.problems.append(
                f"Account {acc['id']}: counters {stored} differ from the log {want}."
            )
        dp, cp, dpend, cpend = stored
        if acc["min_balance"] is not None and cp - dp - dpend < acc["min_balance"]:
            report.problems.append(f"Account {acc['id']} is below its overdraft limit.")
        if acc["max_balance"] is not None and cp + cpend - dp > acc["max_balance"]:
            report.problems.append(f"Account {acc['id']} is above its maximum balance.")
        bank = totals.setdefault(acc["bank_id"], [0, 0])
        bank[0] += cp - dp
        bank[1] += cpend - dpend
    for account_id in expected:
        report.problems.append(f"Transfers name account {account_id}, which does not exist.")
    report.banks = len(totals)
    for bank_id, (posted, pending) in sorted(totals.items()):
        if posted or pending:
            report.problems.append(
                f"Time bank {bank_id}: balances sum to {posted} posted and {pending} pending "
                "minutes, not zero."
            )


def _recomputed_trades(session: so.Session) -> dict[int, tuple[object, ...]]:
    """Count each account's trades on each side, with the first and last day, from the log."""
    t = Transfer.__table__
    trade = trade_condition(t)
    found: dict[int, list[object]] = {}
    for start, account in ((0, t.c.credit_account_id), (3, t.c.debit_account_id)):
        day = t.c.happened_on
        stmt = (
            sa.select(account, sa.func.count(), sa.func.min(day), sa.func.max(day))
            .where(trade)
            .group_by(account)
        )
        for account_id, count, first, last in session.execute(stmt):
            found.setdefault(account_id, list(NO_TRADES))[start : start + 3] = [count, first, last]
    return {account_id: tuple(values) for account_id, values in found.items()}


def _check_trades(session: so.Session, report: VerifyReport) -> None:
    expected = _recomputed_trades(session)
    columns = [Account.__table__.c[name] for name in TRADE_COLUMNS]
    for account_id, *stored in session.execute(sa.select(Account.id, *columns)):
        want = expected.get(account_id, NO_TRADES)
        if tuple(stored) != want:
            report.problems.append(
                f"Account {account_id}: its trades (count, first and last day, given then "
                f"received) {_listed(stored)} differ from the log {_listed(want)}."
            )


def _listed(values: typing.Iterable[object]) -> str:
    return "(" + ", ".join("none" if value is None else str(value) for value in values) + ")"


def _check_resolutions(session: so.Session, report: VerifyReport) -> None:
    t = Transfer.__table__.alias("t")
    twice = (
        sa.select(t.c.pending_id)
        .where(t.c.pending_id.is_not(None))
        .group_by(t.c.pending_id)
        .having(sa.func.count() > 1)
    )
    for pending_id in session.scalars(twice):
        report.problems.append(f"Pending transfer {pending_id} was resolved more than once.")
    _check_resolution_targets(session, report)
    reversed_twice = (
        sa.select(t.c.reverses_id)
        .where(t.c.reverses_id.is_not(None))
        .group_by(t.c.reverses_id)
        .having(sa.func.count() > 1)
    )
    for transfer_id in session.scalars(reversed_twice):
        report.problems.append(f"Transfer {transfer_id} was reversed more than once.")
    report.transfers = session.scalar(sa.select(sa.func.count()).select_from(Transfer)) or 0


def _check_resolution_targets(session: so.Session, report: VerifyReport) -> None:
    """Report every resolution that does not fit the pending transfer it names."""
    t = Transfer.__table__.alias("t")
    p = Transfer.__table__.alias("p")
    void = t.c.phase == "void_pending"
    misfits = (
        sa.select(
            t.c.id,
            t.c.pending_id,
            t.c.bank_id,
            t.c.phase,
            t.c.amount,
            t.c.debit_account_id,
            t.c.credit_account_id,
            p.c.id.label("p_id"),
            p.c.bank_id.label("p_bank_id"),
            p.c.phase.label("p_phase"),
            p.c.amount.label("p_amount"),
            p.c.debit_account_id.label("p_debit"),
            p.c.credit_account_id.label("p_credit"),
        )
        .select_from(t)
        .outerjoin(p, p.c.id == t.c.pending_id)
        .where(
            t.c.pending_id.is_not(None),
            sa.or_(
                p.c.id.is_(None),
                p.c.bank_id != t.c.bank_id,
                p.c.phase != "pending",
                p.c.debit_account_id != t.c.debit_account_id,
                p.c.credit_account_id != t.c.credit_account_id,
                t.c.amount > p.c.amount,
                sa.and_(void, t.c.amount != p.c.amount),
            ),
        )
        .order_by(t.c.id)
    )
    for row in session.execute(misfits):
        report.problems.extend(_misfit_words(row))


def _misfit_words(row: sa.Row[typing.Any]) -> list[str]:
    """Say in words how a resolution does not fit the pending transfer it names."""
    head = f"Transfer {row.id} resolves transfer {row.pending_id}"
    if row.p_id is None:
        return [f"{head}, which does not exist."]
    words = []
    if row.p_bank_id != row.bank_id:
        words.append(f"{head}, which belongs to another time bank ({row.p_bank_id}).")
    if row.p_phase != "pending":
        words.append(f"{head}, which was not waiting for confirmation (it is {row.p_phase}).")
    if (row.p_debit, row.p_credit) != (row.debit_account_id, row.credit_account_id):
        words.append(
            f"{head} but moves between other accounts ({row.debit_account_id} and "
            f"{row.credit_account_id}, not {row.p_debit} and {row.p_credit})."
        )
    if row.phase == "post_pending" and row.amount > row.p_amount:
        words.append(
            f"{head} and confirms {row.amount} minutes, more than the {row.p_amount} logged."
        )
    if row.phase == "void_pending" and row.amount != row.p_amount:
        words.append(f"{head} and declines {row.amount} minutes, not the {row.p_amount} logged.")
    return words


def verify_ledger(session: so.Session) -> VerifyReport:
    """Check that accounts (counters and trades) match the transfer log, limits hold and
    each bank sums to zero."""
    report = VerifyReport()
    try:
        _check_accounts(session, report)
        _check_trades(session, report)
        _check_resolutions(session, report)
    finally:
        session.rollback()
    return report
