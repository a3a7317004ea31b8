"""Import every model so the metadata (and Alembic) sees the whole schema."""

from timebank.ledger.models import Account, PendingEscalation, Transfer
from timebank.members.models import Member, Organisation
from timebank.tenancy.models import TimeBank

__all__ = ["Account", "Member", "Organisation", "PendingEscalation", "TimeBank", "Transfer"]
