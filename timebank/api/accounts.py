"""Hour accounts and balances: the caller's own, any member's for brokers, and every account."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.pagination import PageArgsSchema, page, page_schema
from timebank.api.schemas import ID, BalanceSchema, balance_body, id_cursor
from timebank.errors import NotAllowed
from timebank.extensions import db
from timebank.ledger.models import Account
from timebank.ledger.queries import BalanceSummary, balance_summary
from timebank.members.models import Member
from timebank.members.profile import member_of_bank

blp = api_blueprint("api_accounts", __name__, "Hour accounts and balances, in minutes.")


class AccountSchema(BalanceSchema):
    account_id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
    member_status = ma.fields.String(required=True)
    is_open = ma.fields.Boolean(
        required=True, metadata={"description": "Closed accounts take no new exchanges."}
    )


AccountPageSchema = page_schema(AccountSchema, "AccountPage")


def _account(account: Account, member: Member) -> dict[str, Any]:
    summary = BalanceSummary(
        account.balance,
        account.min_balance,
        account.max_balance,
        account.credits_pending,
        account.debits_pending,
    )
    return balance_body(member.id, summary) | {
        "account_id": account.id,
        "display_name": member.display_name,
        "member_status": member.status,
        "is_open": account.is_open,
    }


@blp.get("/me/balance")
@require_role("member")
@blp.response(200, BalanceSchema)
def my_balance() -> dict[str, Any]:
    """Return the caller's balance, limits and the minutes waiting to be confirmed."""
    who = caller()
    return balance_body(who.member_id, balance_summary(db.session(), who.bank_id, who.member_id))


@blp.get(f"/members/<{ID}:member_id>/balance")
@require_role("member")
@blp.response(200, BalanceSchema)
def member_balance(member_id: int) -> dict[str, Any]:
    """Return a member's balance: brokers see anyone's, a member only their own."""
    who = caller()
    if member_id != who.member_id and not who.at_least("broker"):
        raise NotAllowed("You can see only your own balance.")
    member = member_of_bank(db.session(), who.bank_id, member_id)
    return balance_body(member.id, balance_summary(db.session(), who.bank_id, member.id))


@blp.get("/accounts")
@require_role("broker")
@blp.arguments(PageArgsSchema(), location="query")
@blp.response(200, AccountPageSchema)
def list_accounts(args: dict[str, Any]) -> dict[str, Any]:
    """List every member's hour account with its balance, by account id (brokers)."""
    query = (
        sa.select(Account, Member)
        .join(Member, sa.and_(Member.bank_id == Account.bank_id, Member.id == Account.member_id))
        .where(Account.bank_id == caller().bank_id)
    )
    after = id_cursor(args["cursor"])
    if after is not None:
        query = query.where(Account.id > after)
    rows = db.session.execute(query.order_by(Account.id).limit(args["limit"] + 1)).all()
    result = page(list(rows), args["limit"], lambda row: [row[0].id])
    return {
        "items": [_account(account, member) for account, member in result["items"]],
        "next_cursor": result["next_cursor"],
    }
