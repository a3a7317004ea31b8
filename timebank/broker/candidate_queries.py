"""The statements matching reads members with: who may be suggested, scores, history.

Builders only: each returns a statement; the callers in `timebank.broker.candidates` and
`timebank.broker.candidate_reads` run them.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, NamedTuple, TypeAlias, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.matching import (
    ANYWHERE_POINTS,
    EARNING_POINTS,
    IDLE_POINTS,
    NEARBY_POINTS,
    NEW_CONTACT_POINTS,
    POINTS_PER_OPEN_PROPOSAL,
    RESPONSIVE_MIN_SENT,
    RESPONSIVE_NOT_KNOWN,
    RESPONSIVE_POINTS,
    SAME_AREA_POINTS,
)
from timebank.broker.models import MemberBlock, MemberCheck, Proposal
from timebank.ledger.models import Account, Transfer
from timebank.members.models import Member
from timebank.offers.models import Listing
from timebank.sms.models import OptOut

T = TypeVar("T")
# A value, or a parameter standing for it in a statement built once.
Bindable: TypeAlias = T | sa.BindParameter[T]

# Proposals still waiting count against a member for this long; answers are judged over
# the longer window matching.py describes.
OPEN_PROPOSAL_DAYS = 30
RESPONSIVENESS_DAYS = 90
# The one check matching asks for.
CHECK = "dbs"


class BoundRow(NamedTuple):
    """A member the bounds statement found, with the exact parts and the bound of their score."""

    id: int
    display_name: str
    area: str | None
    availability: str | None
    balance: int | None
    open: int | None
    answered: int | None
    sent: int | None
    met: bool
    bound: float


# The bounds statement's parameters: the same text for every request, so it is built and
# compiled once per shape (see `bounds_statement`).
_BANK = sa.bindparam("bank_id", type_=sa.Integer)
_REQUESTER = sa.bindparam("requester_id", type_=sa.Integer)


@functools.cache
def bounds_statement(
    *, only_category: bool, needs_check: bool, area_given: bool, nearby: tuple[str, ...]
) -> sa.Select[Any]:
    """Build the query of members who may be suggested, highest possible score first.

    The bound counts in full what offers would tell (category, words, times) and the best
    their travel could earn for place; it is exact for the rest (area, proposals, balance,
    who the requester has met). Offers are read afterwards, a batch of members at a time.

    Everything that changes from one request to the next is a parameter (`_bounds_params`,
    with `skip` and `take` for the batch), so each shape of the statement is built once and
    its SQL compiled once (`timebank.db.run`); who the requester has met or blocked is asked
    inside the statement rather than written into it as lists of ids.
    """
    offering = (
        _offering(_BANK, sa.bindparam("category", type_=sa.String)) if only_category else None
    )
    proposals = proposal_counts(
        _BANK,
        sa.bindparam("waiting_since", type_=sa.DateTime(timezone=True)),
        sa.bindparam("judged_since", type_=sa.DateTime(timezone=True)),
        offering,
    )
    balance = Account.credits_posted - Account.debits_posted
    met = Member.id.in_(met_query(_BANK, _REQUESTER))
    bound = (
        sa.bindparam("offer_points", type_=sa.Float)
        + _place_bound(area_given, nearby)
        + _responsiveness_points(proposals)
        + _fairness_points(proposals, balance)
        + sa.case((met, 0.0), else_=NEW_CONTACT_POINTS)
    ).label("bound")
    check = sa.bindparam("check_kind", type_=sa.String) if needs_check else None
    query = (
        sa.select(
            Member.id,
            Member.display_name,
            Member.area,
            Member.availability,
            balance.label("balance"),
            proposals.c.open,
            proposals.c.answered,
            proposals.c.sent,
            met.label("met"),
            bound,
        )
        .outerjoin(
            Account, sa.and_(Account.bank_id == Member.bank_id, Account.member_id == Member.id)
        )
        .outerjoin(proposals, proposals.c.helper_id == Member.id)
        .where(*_may_be_suggested(check, sa.bindparam("today", type_=sa.Date)))
        .order_by(bound.desc(), Member.id)
        .offset(sa.bindparam("skip", type_=sa.Integer))
        .limit(sa.bindparam("take", type_=sa.Integer))
    )
    return query if offering is None else query.where(Member.id.in_(offering))


def _offering(bank_id: Bindable[int], category: Bindable[str]) -> sa.Select[Any]:
    """Build the query of the members with an open offer in the category."""
    return sa.select(Listing.member_id).where(
        Listing.bank_id == bank_id,
        Listing.skill_category == category,
        Listing.kind == "offer",
        Listing.status == "open",
    )


def _may_be_suggested(
    check: Bindable[str] | None, today: Bindable[dt.date]
) -> list[sa.ColumnElement[bool]]:
    """Return the hard filters of matching as conditions on members (and `check`, if asked)."""
    opted_out = (
        sa.select(OptOut.e164)
        .where(
            OptOut.bank_id == Member.bank_id,
            OptOut.e164 == Member.mobile_e164,
            OptOut.opted_out.is_(True),
        )
        .exists()
    )
    conditions = [
        Member.bank_id == _BANK,
        Member.id != _REQUESTER,
        Member.status == "active",
        Member.erased_at.is_(None),
        sa.not_(opted_out),
    ]
    conditions.append(Member.id.not_in(blocked_query(_BANK, _REQUESTER)))
    if check is not None:
        checked = (
            sa.select(MemberCheck.id)
            .where(
                MemberCheck.bank_id == Member.bank_id,
                MemberCheck.member_id == Member.id,
                *current_check(check, today),
            )
            .exists()
        )
        conditions.append(checked)
    return conditions


def current_check(kind: Bindable[str], today: Bindable[dt.date]) -> list[sa.ColumnElement[bool]]:
    """Return the conditions that a check row is of `kind` and still holds today."""
    return [
        MemberCheck.kind == kind,
        MemberCheck.withdrawn_at.is_(None),
        sa.or_(MemberCheck.expires_on.is_(None), MemberCheck.expires_on >= today),
    ]


def _place_bound(area_given: bool, nearby: tuple[str, ...]) -> sa.ColumnElement[float]:
    """Score place by area, as if the member travelled as far as it could ever count."""
    same = Member.area == sa.bindparam("area", type_=sa.String) if area_given else sa.false()
    near = sa.or_(sa.false(), *(Member.area == sa.literal_column(_quoted(n)) for n in nearby))
    return sa.case(
        (same, SAME_AREA_POINTS),
        (near, max(NEARBY_POINTS, ANYWHERE_POINTS)),
        else_=ANYWHERE_POINTS,
    )


def _quoted(text: str) -> str:
    """Write a string as an SQL literal (for the few area names written into the statement)."""
    return "'" + text.replace("'", "''") + "'"


def _responsiveness_points(proposals: sa.Subquery) -> sa.ColumnElement[float]:
    sent = sa.func.coalesce(proposals.c.sent, 0)
    share = sa.cast(proposals.c.answered, sa.Float) * RESPONSIVE_POINTS / sent
    return sa.case((sent < RESPONSIVE_MIN_SENT, RESPONSIVE_NOT_KNOWN), else_=share)


def _fairness_points(
    proposals: sa.Subquery, balance: sa.ColumnElement[int]
) -> sa.ColumnElement[float]:
    waiting = sa.func.coalesce(proposals.c.open, 0)
    idle = IDLE_POINTS - POINTS_PER_OPEN_PROPOSAL * waiting
    idle_points = sa.case((idle > 0, idle), else_=0.0)
    earning = sa.case((sa.func.coalesce(balance, 0) < 0, EARNING_POINTS), else_=0.0)
    return idle_points + earning


def proposal_counts(
    bank_id: Bindable[int],
    waiting_since: Bindable[dt.datetime],
    judged_since: Bindable[dt.datetime],
    helpers: sa.Select[Any] | None = None,
) -> sa.Subquery:
    """Per helper: proposals sent since `judged_since`, those answered, those still waiting.

    A proposal still waits if it was sent since `waiting_since` and nobody has answered.
    `helpers`, when given, is a query of the member ids to count for (by default, everyone).
    """
    waiting = sa.and_(Proposal.status == "sent", Proposal.created_at >= waiting_since)
    query = sa.select(
        Proposal.helper_id,
        sa.func.count().label("sent"),
        sa.func.count(Proposal.answered_at).label("answered"),
        sa.func.count(sa.case((waiting, 1))).label("open"),
    ).where(
        Proposal.bank_id == bank_id,
        Proposal.created_at >= judged_since,
    )
    if helpers is not None:
        query = query.where(Proposal.helper_id.in_(helpers))
    return query.group_by(Proposal.helper_id).subquery("proposed")


def proposal_windows(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Return since when a proposal still waits, and since when answers are judged."""
    return (
        now - dt.timedelta(days=OPEN_PROPOSAL_DAYS),
        now - dt.timedelta(days=RESPONSIVENESS_DAYS),
    )


def met_query(bank_id: Bindable[int], requester_id: Bindable[int]) -> sa.Select[Any]:
    """Build the query of the members whose account has any transfer with the requester's."""
    mine = (
        sa.select(Account.id)
        .where(Account.bank_id == bank_id, Account.member_id == requester_id)
        .scalar_subquery()
    )
    other = sa.case(
        (Transfer.debit_account_id == mine, Transfer.credit_account_id),
        else_=Transfer.debit_account_id,
    )
    theirs = so.aliased(Account)
    return (
        sa.select(theirs.member_id)
        .distinct()
        .join(Transfer, theirs.id == other)
        .where(
            Transfer.bank_id == bank_id,
            sa.or_(Transfer.debit_account_id == mine, Transfer.credit_account_id == mine),
            theirs.member_id.is_not(None),
        )
    )


def blocked_query(bank_id: Bindable[int], requester_id: Bindable[int]) -> sa.CompoundSelect[Any]:
    """Build the query of the members the requester blocked and those who blocked them."""
    blocks = MemberBlock.bank_id == bank_id
    return sa.union(
        sa.select(MemberBlock.blocked_member_id).where(
            blocks, MemberBlock.member_id == requester_id
        ),
        sa.select(MemberBlock.member_id).where(
            blocks, MemberBlock.blocked_member_id == requester_id
        ),
    )


def members_query(bank_id: int, requester_id: int) -> sa.Select[Any]:
    """Build the query of every other member with their opt-out and balance."""
    return (
        sa.select(
            Member,
            OptOut.opted_out,
            (Account.credits_posted - Account.debits_posted).label("balance"),
        )
        .outerjoin(
            OptOut,
            sa.and_(OptOut.bank_id == Member.bank_id, OptOut.e164 == Member.mobile_e164),
        )
        .outerjoin(
            Account, sa.and_(Account.bank_id == Member.bank_id, Account.member_id == Member.id)
        )
        .where(Member.bank_id == bank_id, Member.id != requester_id)
        .order_by(Member.id)
    )
