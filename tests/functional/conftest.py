"""Members the home, log-hours and history pages are tested with."""

from __future__ import annotations

import pytest

from tests.factories import MemberFactory
from tests.functional.ledger_pages import signed_in


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
