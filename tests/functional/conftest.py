"""Members the home, log-hours and history pages are tested with."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from tests.functional.ledger_pages import signed_in
from timebank.broker import outreach
from timebank.broker.models import OutreachFlag


@pytest.fixture
def joyce(bank):
    """Return Joyce Campbell, a member of the bank."""
    return MemberFactory(bank=bank, display_name="Joyce Campbell")


@pytest.fixture
def sam(bank):
    """Return Sam Green, a member of the bank."""
    return MemberFactory(bank=bank, display_name="Sam Green")


@pytest.fixture
def as_joyce(app, joyce):
    """Return a test client with Joyce signed in."""
    return signed_in(app, joyce)


@pytest.fixture
def flag(session, bank, broker, joyce) -> OutreachFlag:
    """Return Joyce's open outreach flag, raised by today's refresh (she must be quiet)."""
    outreach.refresh_flags(session, bank.id, dt.date.today())
    found = session.scalar(sa.select(OutreachFlag).filter_by(member_id=joyce.id))
    assert found is not None
    return found
