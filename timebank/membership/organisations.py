"""Organisation accounts admins open: a GP practice's own hours, a community group's."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import InvalidDetail
from timebank.ledger.models import Account
from timebank.members.acting import acting_member
from timebank.members.models import Organisation
from timebank.tenancy.audit import record_action

# The kinds an admin may open; the community pot and the bank's own account come with the bank.
OPEN_KINDS = {"gp_practice": "GP practice", "community_group": "Community group"}


@dataclass(frozen=True)
class OrganisationAccount:
    """An organisation with its hour account's id and balance in minutes."""

    id: int
    name: str
    kind: str
    account_id: int
    balance_minutes: int


def organisation_accounts(session: so.Session, bank_id: int) -> list[OrganisationAccount]:
    """Return the bank's GP practices and community groups with their balances, by name."""
    query = (
        sa.select(
            Organisation.id,
            Organisation.name,
            Organisation.kind,
            Account.id,
            Account.credits_posted - Account.debits_posted,
        )
        .join(Account, Account.organisation_id == Organisation.id)
        .where(Organisation.bank_id == bank_id, Organisation.kind.in_(OPEN_KINDS))
        .order_by(Organisation.name)
    )
    return [OrganisationAccount(*row) for row in session.execute(query)]


@use_case
def open_organisation_account(
    session: so.Session, bank_id: int, admin_id: int, name: str, kind: str
) -> OrganisationAccount:
    """Open an hour account for a GP practice or community group of the bank (admins)."""
    acting_member(session, bank_id, admin_id, "admin", "open an organisation's account")
    if kind not in OPEN_KINDS:
        raise InvalidDetail("kind", "Choose a GP practice or a community group.")
    clean = " ".join((name or "").split())
    if not clean or len(clean) > 120:
        raise InvalidDetail("name", "Give the organisation a name of 1 to 120 characters.")
    taken = sa.select(Organisation.id).where(
        Organisation.bank_id == bank_id, sa.func.lower(Organisation.name) == clean.lower()
    )
    if session.scalar(taken) is not None:
        raise InvalidDetail("name", f"This time bank already has an account called {clean}.")
    org = Organisation(bank_id=bank_id, name=clean, kind=kind)
    session.add(org)
    session.flush()
    account = Account(bank_id=bank_id, organisation_id=org.id)
    session.add(account)
    session.flush()
    detail = f"{OPEN_KINDS[kind]}: {clean}"
    record_action(session, bank_id, admin_id, "organisation_opened",
                  subject=f"organisation:{org.id}", detail=detail)  # fmt: skip
    session.commit()
    return OrganisationAccount(org.id, org.name, org.kind, account.id, 0)
