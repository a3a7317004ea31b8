"""Making, checking and revoking personal API tokens.

A token is `tb_` and 40 random URL-safe characters. Only its SHA-256 digest is stored (the
token is long and random, so a slow password hash would add nothing but latency), and it
is shown once, when it is made. Using a token records when it was last used, at most once a
minute, so busy clients do not turn every read into a write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotAllowed, NotFound
from timebank.members.models import TOKEN_ROLES, ApiToken, Member
from timebank.offers.models import SkillCategory
from timebank.referrals.models import ReferralPartner
from timebank.tenancy.models import TimeBank
from timebank.tenancy.suspension import BankSuspended, suspended_words

TOKEN_PREFIX = "tb_"
LAST_USED_EVERY = dt.timedelta(minutes=1)


def digest_of(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(30)


@use_case
def create_token(
    session: so.Session,
    bank_id: int,
    member_id: int,
    name: str,
    role: str | None = None,
    partner_id: int | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for a member (at their role or below); return it and its only copy.

    A practice token (`partner_id` given) can only be made by an admin, for a referral
    partner of the same time bank.
    """
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("Give the token a name of up to 80 characters, such as 'Phone app'.")
    member = session.scalar(
        sa.select(Member).where(Member.bank_id == bank_id, Member.id == member_id)
    )
    if member is None or not member.is_active:
        raise NotFound("There is no such member in this time bank.")
    if partner_id is not None:
        role = "practice"
        if not member.has_role("admin"):
            raise NotAllowed("Only an admin can make a token for a GP practice.")
        partner = session.scalar(
            sa.select(ReferralPartner).where(
                ReferralPartner.bank_id == bank_id, ReferralPartner.id == partner_id
            )
        )
        if partner is None:
            raise NotFound("There is no such referral partner in this time bank.")
    else:
        role = role or member.role
        if role not in TOKEN_ROLES or role == "practice":
            raise InvalidInput("A token's role is member, broker or admin.")
        if not member.has_role(role):
            raise NotAllowed(f"A {member.role} cannot make a token with the {role} role.")
    token = _new_token()
    row = ApiToken(
        bank_id=bank_id,
        member_id=member_id,
        partner_id=partner_id,
        role=role,
        name=name,
        digest=digest_of(token),
        prefix=token[:10],
        created_at=utcnow(),
    )
    session.add(row)
    session.commit()
    return row, token


class TokenHolder(NamedTuple):
    """What a live token acts as: the columns `load_caller` needs, read in one query."""

    id: int
    bank_id: int
    member_id: int
    role: str
    partner_id: int | None
    last_used_at: dt.datetime | None
    # Whether the bank keeps its own list of kinds of help (else it uses the defaults).
    own_skill_categories: bool


_tokens = ApiToken.__table__
_members = Member.__table__
_skills = SkillCategory.__table__
_banks = TimeBank.__table__
# Built once, in Core: every API request runs it, and a statement built afresh costs more
# to construct and to key for the compiled cache than the query takes in the database.
_LIVE_TOKEN = (
    sa.select(
        _tokens.c.id,
        _tokens.c.bank_id,
        _tokens.c.member_id,
        _tokens.c.role,
        _tokens.c.partner_id,
        _tokens.c.last_used_at,
        # Read with the token, not cached: an admin's edit of the list counts at once, and
        # most banks keep the defaults, so a write then needs no query of its own to check.
        sa.exists().where(_skills.c.bank_id == _tokens.c.bank_id).label("own_skill_categories"),
        _banks.c.name.label("bank_name"),
        _banks.c.suspended_at,
    )
    .join(
        _members,
        sa.and_(_members.c.bank_id == _tokens.c.bank_id, _members.c.id == _tokens.c.member_id),
    )
    .join(_banks, _banks.c.id == _tokens.c.bank_id)
    .where(
        _tokens.c.digest == sa.bindparam("digest"),
        _tokens.c.revoked_at.is_(None),
        _members.c.status == "active",
        _members.c.erased_at.is_(None),
    )
)
_NOTE_USE = (
    sa.update(ApiToken)
    .where(ApiToken.id == sa.bindparam("token_id"))
    .values(last_used_at=sa.bindparam("stamp"))
    .execution_options(synchronize_session=False)
)


def authenticate(
    session: so.Session, token: str, now: Callable[[], dt.datetime] = utcnow
) -> TokenHolder | None:
    """Return who the live token acts as, or None; note its use (at most once a minute).

    The token's member must still be active: a member who left or was suspended loses
    their tokens' access at once. Nothing is cached: every request reads the token, so a
    revocation holds from the next request on.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    found = session.connection().execute(_LIVE_TOKEN, {"digest": digest_of(token)}).first()
    if found is None:
        return None
    *columns, bank_name, suspended_at = found
    if suspended_at is not None:
        raise BankSuspended(suspended_words(bank_name))
    holder = TokenHolder(*columns)
    stamp = now()
    last = holder.last_used_at
    if last is not None:
        last = as_utc(last)
    if last is None or stamp - last >= LAST_USED_EVERY:
        session.execute(_NOTE_USE, {"token_id": holder.id, "stamp": stamp})
        session.commit()
    return holder


def tokens_of(session: so.Session, bank_id: int, member_id: int) -> list[ApiToken]:
    """Return a member's tokens, newest first, revoked ones included."""
    return list(
        session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.bank_id == bank_id, ApiToken.member_id == member_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


@use_case
def revoke_token(
    session: so.Session, bank_id: int, member_id: int, token_id: int, by_admin: bool = False
) -> ApiToken:
    """Revoke a token of the member's own (or, for an admin, any token in the bank)."""
    query = sa.select(ApiToken).where(ApiToken.bank_id == bank_id, ApiToken.id == token_id)
    if not by_admin:
        query = query.where(ApiToken.member_id == member_id)
    row = session.scalar(query)
    if row is None:
        raise NotFound("There is no such token.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.commit()
    return row
