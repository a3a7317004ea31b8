"""Who may act: every service that takes an acting member checks them here first.

A service names the role it needs. The acting member must belong to the bank being acted
on, be active (not an applicant, suspended, left or erased) and hold that role or a higher
one (see `ROLES` in `members.models`). Anything else is `NotAllowed`, in plain words that
do not say whether a member of another bank exists.
"""

from __future__ import annotations

import sqlalchemy.orm as so

from timebank.errors import NotAllowed, NotFound
from timebank.members.models import ROLES, Member, role_includes

ARTICLES = {"member": "a", "broker": "a", "admin": "an"}


class NotOfThisBank(NotAllowed, NotFound):
    """The acting member belongs to another time bank (or to none).

    It is refused like any other acting member without the right (403, `not_allowed`), and
    it is also a NotFound: to a member of another bank, this bank's members, requests and
    referrals do not exist, which is how callers have always been told.
    """


def require_role(actor: Member | None, bank_id: int, role: str, doing: str = "do that") -> Member:
    """Return `actor` when they are an active member of this bank with `role`, or raise."""
    if actor is None or actor.bank_id != bank_id:
        raise NotOfThisBank(f"Only {ARTICLES[role]} {role} of this time bank can {doing}.")
    if not actor.is_active:
        raise NotAllowed(f"Your membership is not active, so you cannot {doing}.")
    if not actor.has_role(role):
        raise NotAllowed(f"Only {ARTICLES[role]} {role} of this time bank can {doing}.")
    return actor


def acting_member(
    session: so.Session, bank_id: int, actor_id: int, role: str, doing: str = "do that"
) -> Member:
    """Load the acting member and check them with `require_role`."""
    return require_role(session.get(Member, actor_id), bank_id, role, doing)


def role_at_least(role: str, wanted: str) -> bool:
    """Tell whether a role someone acts with includes `wanted`; a token's "practice" does not."""
    return role in ROLES and role_includes(role, wanted)


def acts_as(member: Member, wanted: str, acting_role: str | None = None) -> bool:
    """Tell whether an active member, acting with `acting_role` (None: their own), has `wanted`.

    A broker's API token may carry only a member's role, so that a phone app acts for them as
    for any member: the web acts with the member's own role, the API with the token's.
    """
    if not member.is_active or not member.has_role(wanted):
        return False
    return acting_role is None or role_at_least(acting_role, wanted)


def broker_rights(member_is_broker: bool, acting_role: str | None = None) -> bool:
    """Tell whether someone who is (or is not) a broker acts with a broker's rights."""
    return member_is_broker and (acting_role is None or role_at_least(acting_role, "broker"))
