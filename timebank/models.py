"""Import every model so the metadata (and Alembic) sees the whole schema."""

from timebank.ledger.models import Account, PendingEscalation, Transfer
from timebank.members.models import Member, Organisation, SignInCode
from timebank.offers.models import Listing, ListingContact
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import TimeBank

__all__ = [
    "Account",
    "Listing",
    "ListingContact",
    "Member",
    "Organisation",
    "OutboxMessage",
    "PendingEscalation",
    "SignInCode",
    "TimeBank",
    "Transfer",
]
