"""The broker audit trail: one line per thing a broker (or admin) does, with who and when."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.tenancy.models import BrokerAction


def record_action(
    session: so.Session,
    bank_id: int,
    broker_id: int | None,
    action: str,
    *,
    member_id: int | None = None,
    subject: str = "",
    detail: str = "",
) -> BrokerAction:
    """Add an audit line in the caller's transaction (it commits or rolls back with it).

    `broker_id` is None for what the time bank's scheduled jobs do on their own.
    """
    line = BrokerAction(
        bank_id=bank_id,
        broker_id=broker_id,
        action=action,
        member_id=member_id,
        subject=subject,
        detail=detail[:300],
        at=utcnow(),
    )
    session.add(line)
    return line


def actions_about(
    session: so.Session, bank_id: int, member_id: int, limit: int = 50
) -> list[BrokerAction]:
    """Return the latest audit lines about one member, newest first."""
    return list(
        session.scalars(
            sa.select(BrokerAction)
            .where(BrokerAction.bank_id == bank_id, BrokerAction.member_id == member_id)
            .order_by(BrokerAction.at.desc(), BrokerAction.id.desc())
            .limit(limit)
        )
    )
