"""Whose rights someone acts with: their own role, or less when a token carries less.

A broker's API token may carry only a member's role, so that a phone app acts for them as
for any member. Every service that takes an acting member and a role to act with decides
here, so that the web (the member's own role) and the API (the token's) follow one rule.
"""

from __future__ import annotations

from timebank.members.models import ROLES, Member


def role_at_least(role: str, wanted: str) -> bool:
    """Tell whether `role` includes `wanted` (admin > broker > member)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(wanted)


def acts_as(member: Member, wanted: str, acting_role: str | None = None) -> bool:
    """Tell whether an active member, acting with `acting_role` (None: their own), has `wanted`."""
    if not member.is_active or not member.has_role(wanted):
        return False
    return acting_role is None or role_at_least(acting_role, wanted)


def broker_rights(member_is_broker: bool, acting_role: str | None = None) -> bool:
    """Tell whether someone who is (or is not) a broker acts with a broker's rights."""
    return member_is_broker and (acting_role is None or role_at_least(acting_role, "broker"))
