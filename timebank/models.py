"""Import every model so the metadata (and Alembic) sees the whole schema."""

from timebank.broker.models import MemberBlock, MemberCheck, OutreachContact, OutreachFlag, Proposal
from timebank.ledger.models import Account, PendingEscalation, Transfer
from timebank.members.models import (
    ApiToken,
    Member,
    MemberSession,
    MobileChange,
    Organisation,
    SignInCode,
)
from timebank.offers.models import Listing, ListingContact, SkillCategory
from timebank.operators.models import Operator, OperatorSession
from timebank.outcomes.models import OutcomeConsent, OutcomeRound
from timebank.porting.models import ImportedRow
from timebank.referrals.models import PartnerNumber, Referral, ReferralEvent, ReferralPartner
from timebank.reports.models import (
    AccountMonth,
    AccountPair,
    AccountTotal,
    DayTotal,
    SummaryRefresh,
)
from timebank.sms.models import ExchangeCode, InboundMessage, OptOut, OutboxMessage
from timebank.tenancy.models import BrokerAction, TimeBank

__all__ = [
    "Account",
    "AccountMonth",
    "AccountPair",
    "AccountTotal",
    "ApiToken",
    "BrokerAction",
    "MemberBlock",
    "MemberCheck",
    "DayTotal",
    "ImportedRow",
    "OutreachContact",
    "OutreachFlag",
    "Proposal",
    "SkillCategory",
    "ExchangeCode",
    "InboundMessage",
    "OptOut",
    "PartnerNumber",
    "Referral",
    "ReferralEvent",
    "ReferralPartner",
    "Listing",
    "ListingContact",
    "Member",
    "MemberSession",
    "MobileChange",
    "Operator",
    "OperatorSession",
    "Organisation",
    "OutboxMessage",
    "OutcomeConsent",
    "OutcomeRound",
    "PendingEscalation",
    "SignInCode",
    "SummaryRefresh",
    "TimeBank",
    "Transfer",
]
