"""A realistic, deterministic demonstration time bank, built only through the services.

`seed_demo_bank` creates about sixty members in Lewisham neighbourhoods, a GP practice and
six months of history: exchanges posted at once, pending ones confirmed (some for fewer
minutes), declined or still waiting, group exchanges, donations to the community pot, grants
from it and a few mistakes reversed by the broker. Every choice comes from a seeded
`random.Random` and every transfer id from a fixed namespace, so the same `today` always
gives the same data.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker import safeguarding
from timebank.broker.outreach import refresh_flags
from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput
from timebank.ledger import errors
from timebank.ledger.accounts import AccountTransferRequest, record_account_transfer
from timebank.ledger.models import Account, Transfer
from timebank.ledger.pot import community_pot_account
from timebank.ledger.resolutions import confirm_pending, decline_pending, reverse_transfer
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    TransferResult,
    group_transfer_id,
    record_exchange,
    record_group_exchange,
)
from timebank.members.models import Member, Organisation
from timebank.members.passwords import hash_password
from timebank.membership.banks import create_time_bank
from timebank.membership.services import account_of, add_member, add_organisation, set_member_status
from timebank.minutes import format_duration
from timebank.offers.services import ListingDraft, post_listing
from timebank.offers.times import slots_from_values
from timebank.phones import format_national
from timebank.referrals import partners, services
from timebank.referrals import sms as texts
from timebank.sms.commands import Join, Refer
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import TimeBank

DEMO_SLUG = "demo"
DEMO_NAME = "Ravensbourne Time Bank"
DEMO_PASSWORD = "demo-timebank"
GP_PRACTICE = "Ravensbourne Health Centre"
HISTORY_DAYS = 182
# Fixed seed and namespace: the whole demo follows from them and the chosen `today`.
DEMO_SEED = 2000
DEMO_NAMESPACE = uuid.UUID("0b7f4c1e-5d2a-4a8e-9c61-2f0e6d3b9a47")

# The seed's short names for skills, and the categories members choose from on the web
# (timebank.offers.skills), which are what each exchange and offer stores.
SKILL_CATEGORIES = {
    "gardening": "Gardening",
    "befriending": "Befriending and conversation",
    "transport": "Transport and lifts",
    "shopping": "Shopping and errands",
    "it_help": "IT help",
    "practical": "Practical help",
    "teaching": "Teaching and languages",
    "admin_forms": "Admin and forms",
    "creative": "Creative and crafts",
    "wellbeing": "Care and wellbeing",
}
MINUTES = {
    "gardening": (60, 90, 120, 120, 180),
    "befriending": (45, 60, 60, 60, 90, 120),
    "transport": (60, 90, 90, 120, 150),
    "shopping": (45, 60, 60, 90),
    "it_help": (30, 45, 60, 60, 90),
    "practical": (60, 90, 120, 120, 180),
    "teaching": (60, 60, 90),
    "admin_forms": (30, 45, 60, 90),
    "creative": (60, 90, 120),
    "wellbeing": (45, 60, 60, 90),
}
DESCRIPTIONS = {
    "gardening": (
        "Weeding the front garden",
        "Mowing the lawn and trimming the hedge",
        "Planting bulbs in the window boxes",
        "Clearing leaves from the back yard",
        "Repotting the house plants",
    ),
    "befriending": (
        "A cup of tea and a chat",
        "Weekly phone call",
        "Walk round Mountsfield Park",
        "Reading the paper together",
        "Afternoon of dominoes",
    ),
    "transport": (
        "Lift to Lewisham Hospital for an appointment",
        "Lift to the surgery and back",
        "Lift to the big Sainsbury's",
        "Drive to the garden centre",
    ),
    "shopping": (
        "Weekly shop on Catford Broadway",
        "Picking up a prescription",
        "Collecting a parcel from the post office",
        "Shopping at Lewisham market",
    ),
    "it_help": (
        "Setting up video calls with family",
        "Help with the NHS App",
        "Fixing email on the tablet",
        "Online banking basics",
        "Setting up a new phone",
    ),
    "practical": (
        "Putting up shelves",
        "Fixing a dripping tap",
        "Assembling a wardrobe",
        "Changing bulbs and smoke alarm batteries",
        "Moving furniture upstairs",
    ),
    "teaching": (
        "French conversation practice",
        "English conversation practice",
        "Guitar lesson",
        "Maths homework help",
        "Mandarin for beginners",
    ),
    "admin_forms": (
        "Filling in an Attendance Allowance form",
        "Help with a council tax letter",
        "Blue Badge application",
        "Reading and answering letters",
        "Renewing a Freedom Pass online",
    ),
    "creative": (
        "Knitting lesson",
        "Sewing repairs",
        "Watercolour painting session",
        "Crochet for beginners",
        "Making a photo album",
    ),
    "wellbeing": (
        "Chair yoga at home",
        "Gentle walk after a hospital stay",
        "Company at a hospital appointment",
        "Tai chi in the park",
        "Sitting with someone after an operation",
    ),
}
DECLINE_REASONS = (
    "We arranged it but it did not happen in the end.",
    "We had not met yet; logged by mistake.",
    "This was a favour between neighbours, not a time bank exchange.",
)
AREAS = (
    "Catford",
    "Rushey Green",
    "Bellingham",
    "Hither Green",
    "Ladywell",
    "Lewisham Central",
    "Brockley",
    "Crofton Park",
    "Forest Hill",
    "Sydenham",
    "Lee",
    "Downham",
    "Grove Park",
)
MOBILE_PREFIXES = ("07123", "07400", "07450", "07508", "07812", "07956", "07534", "07418")


@dataclass(frozen=True)
class MemberSeed:
    """One demo member: what they offer, how often they give and receive, their story."""

    name: str
    area: str
    offers: str  # space-separated skill categories
    gives: int  # how likely to give help, 0 (never) to 5
    receives: int  # how likely to ask for help, 0 (never) to 5
    joined: int  # days before `today`
    role: str = "member"
    status: str = "active"
    stops: int | None = None  # days before `today` when they stopped taking part
    then: str | None = None  # the status they moved to then (left, suspended)
    sign_in: bool = False  # gets the demo password

    @property
    def skills(self) -> tuple[str, ...]:
        return tuple(self.offers.split())

    @property
    def email(self) -> str | None:
        """Staff have a work address; members sign in with their mobile number."""
        if self.role == "member":
            return None
        return self.name.lower().replace(" ", ".").replace("'", "") + "@example.org"


M = MemberSeed
MEMBERS = (
    M("Grace Mensah", "Catford", "", 0, 0, 420, role="broker", sign_in=True),
    M("Tom Whitfield", "Lewisham Central", "", 0, 0, 420, role="admin", sign_in=True),
    M("Joyce Campbell", "Catford", "befriending shopping", 5, 2, 410, sign_in=True),
    M("Dorothy Palmer", "Rushey Green", "befriending creative", 1, 5, 400, sign_in=True),
    M("Kwame Asante", "Hither Green", "it_help admin_forms", 4, 1, 390),
    M("Siobhan O'Leary", "Ladywell", "gardening practical", 4, 2, 380),
    M("Mohammed Rahman", "Lewisham Central", "transport practical", 5, 1, 370),
    M("Patricia Okonkwo", "Bellingham", "wellbeing befriending", 3, 2, 360),
    M("Harold Jenkins", "Downham", "teaching", 1, 5, 350),
    M("Aisha Bello", "Brockley", "teaching admin_forms", 3, 2, 340),
    M("Lin Chen", "Forest Hill", "teaching creative", 3, 2, 330),
    M("Marek Nowak", "Sydenham", "practical transport", 4, 1, 320),
    M("Beatrice Thompson", "Catford", "shopping befriending", 2, 4, 310),
    M("Daniel Osei", "Lee", "it_help", 3, 1, 300),
    M("Margaret Hughes", "Crofton Park", "creative", 1, 4, 295),
    M("Priya Patel", "Hither Green", "admin_forms teaching", 3, 2, 290),
    M("Winston Clarke", "Rushey Green", "gardening transport", 3, 3, 285),
    M("Fatima Hussain", "Lewisham Central", "shopping befriending teaching", 3, 3, 280),
    M("George Adeyemi", "Bellingham", "practical gardening", 2, 2, 270),
    M("Eileen Murphy", "Ladywell", "befriending", 1, 4, 265),
    M("Samuel Boateng", "Grove Park", "transport shopping", 3, 1, 260),
    M("Rosa Fernandes", "Brockley", "creative wellbeing", 3, 2, 255),
    M("Arthur Bennett", "Downham", "befriending", 1, 5, 250),
    M("Yetunde Afolabi", "Catford", "wellbeing shopping", 3, 2, 245),
    M("Ian MacLeod", "Forest Hill", "it_help admin_forms", 4, 0, 240),  # only ever gives
    M("Sandra Lewis", "Sydenham", "befriending shopping", 2, 3, 235),
    M("Tariq Mahmood", "Lee", "transport", 2, 1, 230),
    M("Kathleen Doyle", "Crofton Park", "befriending", 1, 4, 225),
    M("Emmanuel Nwosu", "Lewisham Central", "teaching creative", 3, 1, 220),
    M("Hannah Goldberg", "Hither Green", "admin_forms teaching", 3, 2, 215),
    M("Ravi Sharma", "Rushey Green", "it_help practical", 2, 2, 210),
    M("Olive Grant", "Bellingham", "creative befriending", 2, 4, 205),
    M("Chidi Eze", "Catford", "practical gardening", 3, 1, 200),
    M("Nora Quinn", "Ladywell", "befriending", 2, 3, 195),
    M("Abdul Karim", "Grove Park", "shopping transport", 2, 2, 190),
    M("Gloria Edwards", "Downham", "wellbeing befriending", 2, 3, 185),
    # Joined during the six months.
    M("Peter Walsh", "Brockley", "gardening", 2, 2, 170),
    M("Amara Diallo", "Forest Hill", "teaching creative", 2, 2, 160),
    M("Stanley Brooks", "Sydenham", "practical", 1, 4, 150),
    M("Mei Ling Wong", "Lee", "wellbeing creative", 3, 1, 140),
    M("Colin Fraser", "Catford", "transport practical", 2, 2, 130),
    M("Bernadette Okafor", "Rushey Green", "befriending admin_forms", 2, 3, 120),
    M("Jamal Henry", "Lewisham Central", "it_help teaching", 2, 1, 110),
    M("Irene Kowalski", "Hither Green", "creative", 1, 3, 100),
    M("Victor Adebayo", "Bellingham", "gardening practical", 2, 1, 90),
    M("Sheila Barnes", "Crofton Park", "shopping befriending", 2, 3, 80),
    M("Yusuf Ali", "Grove Park", "transport it_help", 2, 1, 70),
    M("Phyllis Morgan", "Ladywell", "befriending", 1, 4, 60),
    M("Lucy Hammond", "Brockley", "creative teaching", 2, 2, 45),
    M("Elena Popescu", "Forest Hill", "wellbeing shopping", 2, 2, 35),
    # Stopped: found paid work and left; suspended; drifted away without a word.
    M("Jordan Reid", "Catford", "it_help transport", 3, 1, 330, stops=60, then="left"),
    M("Keith Dunn", "Lee", "practical", 2, 2, 280, stops=25, then="suspended"),
    M("Maureen Ellis", "Bellingham", "befriending shopping", 2, 2, 300, stops=80),
    # Not started yet: one never got going, some are new, two still have to be signed up.
    M("Clifford Gray", "Downham", "gardening", 0, 0, 58),
    M("Tendai Moyo", "Sydenham", "teaching it_help", 0, 0, 16),
    M("Agnieszka Zielinska", "Lewisham Central", "wellbeing", 0, 0, 11),
    M("Ben Archer", "Hither Green", "practical", 0, 0, 7),
    M("Nadia Haddad", "Rushey Green", "admin_forms teaching", 0, 0, 4),
    M("Shanice Walker", "Catford", "shopping", 0, 0, 3, status="applicant"),
    M("Ahmed Yilmaz", "Brockley", "transport", 0, 0, 1, status="applicant"),
)
del M


@dataclass(frozen=True)
class GroupSeed:
    """A recurring group activity: one giver and several receivers, or the reverse."""

    description: str
    category: str
    single: str  # "giver" or "receiver": the side with one person
    size: tuple[int, int]  # how many people on the other side
    minutes: int  # per pair
    every: int  # days between sessions
    first: int  # days after the history starts


GROUPS = (
    GroupSeed("Lunch club at the community centre", "befriending", "giver", (4, 6), 90, 28, 4),
    GroupSeed("Gardening morning at {receiver}'s", "gardening", "receiver", (2, 3), 120, 42, 12),
    GroupSeed("Computer drop-in at Catford library", "it_help", "giver", (3, 5), 60, 42, 9),
    GroupSeed("English conversation café", "teaching", "giver", (3, 5), 60, 56, 20),
)


# The categories members choose from on the web, for each demo skill.
HELP_WANTED = (
    "A lift to hospital appointments",
    "Someone to chat with in the afternoons",
    "Help with the garden",
    "Help with letters and forms",
    "Setting up my phone",
    "Small jobs around the house",
    "Company on a walk",
    "Picking up shopping",
)
AVAILABILITY = (
    "Weekday mornings",
    "Weekday afternoons",
    "Evenings after 6",
    "Weekends",
    "Most days, with a day's notice",
    "Tuesdays and Thursdays",
)


@dataclass(frozen=True)
class ListingSeed:
    """An open offer or request on the demo bank's board."""

    name: str
    kind: str
    category: str
    title: str
    description: str
    when: str
    days_ago: int


L = ListingSeed
LISTINGS = (
    L("Joyce Campbell", "offer", "befriending", "A cup of tea and a chat",
      "I love a natter. I can come to you or we can meet at the library cafe.",
      "Weekday afternoons", 40),
    L("Kwame Asante", "offer", "it_help", "Help with phones, tablets and the NHS App",
      "Patient help with setting things up, video calls and online forms.",
      "Evenings and Saturdays", 35),
    L("Siobhan O'Leary", "offer", "gardening", "Weeding, pruning and tidying gardens",
      "Small gardens and window boxes. I bring my own tools.", "Weekday mornings", 30),
    L("Mohammed Rahman", "offer", "transport", "Lifts to the surgery and hospital",
      "I have a car with an easy-to-reach front seat.", "Most weekdays", 28),
    L("Aisha Bello", "offer", "admin_forms", "Help with letters and forms",
      "Council tax, benefits, Blue Badge and other forms.", "Tuesdays and Thursdays", 25),
    L("Lin Chen", "offer", "creative", "Knitting and crochet for beginners",
      "Needles and wool provided.", "Saturday mornings", 21),
    L("Marek Nowak", "offer", "practical", "Shelves, flat-pack and small repairs",
      "Drills and tools of my own. No electrics or gas.", "Weekends", 18),
    L("Dorothy Palmer", "request", "practical", "Changing light bulbs and smoke alarm batteries",
      "I cannot get up a ladder any more.", "Any weekday", 12),
    L("Harold Jenkins", "request", "teaching", "Someone to practise French with",
      "I am going to see my grandson in Lyon in the summer.", "Afternoons", 10),
    L("Eileen Murphy", "request", "befriending", "A weekly phone call",
      "Since my husband died the evenings are long.", "Evenings", 8),
    L("Arthur Bennett", "request", "transport", "A lift to the eye clinic",
      "At Lewisham Hospital, on the 14th at 10 in the morning.", "The 14th, morning", 6),
    L("Beatrice Thompson", "request", "shopping", "Picking up a prescription each month",
      "From the chemist on Rushey Green.", "First Monday of the month", 4),
)  # fmt: skip
del L

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# Each listing's times of the week (as the web form sends them; none on a request means
# any time), how far an offering member will go, and whether a request needs a checked
# helper because it means going into someone's home.
LISTING_TIMES = {
    "A cup of tea and a chat": (" ".join(f"{d}-afternoon" for d in WEEKDAYS), "nearby"),
    "Help with phones, tablets and the NHS App": (
        " ".join([*(f"{d}-evening" for d in WEEKDAYS), "sat-morning", "sat-afternoon"]),
        "anywhere",
    ),
    "Weeding, pruning and tidying gardens": (
        " ".join(f"{d}-morning" for d in WEEKDAYS),
        "own_area",
    ),
    "Lifts to the surgery and hospital": (
        " ".join(f"{d}-{p}" for d in WEEKDAYS for p in ("morning", "afternoon")),
        "anywhere",
    ),
    "Help with letters and forms": (
        "tue-morning tue-afternoon thu-morning thu-afternoon",
        "nearby",
    ),
    "Knitting and crochet for beginners": ("sat-morning", "nearby"),
    "Shelves, flat-pack and small repairs": (
        "sat-morning sat-afternoon sun-morning sun-afternoon",
        "nearby",
    ),
    "Changing light bulbs and smoke alarm batteries": (
        " ".join(f"{d}-{p}" for d in WEEKDAYS for p in ("morning", "afternoon")),
        "",
    ),
    "Someone to practise French with": (" ".join(f"{d}-afternoon" for d in WEEKDAYS), ""),
    "A weekly phone call": ("", ""),
    "Picking up a prescription each month": ("mon-morning mon-afternoon", ""),
}
# Requests that mean a home visit, so only a member with a current DBS check is asked.
HOME_VISITS = frozenset({"Changing light bulbs and smoke alarm batteries"})
# (member, days ago the check was done, days from today it runs out or None, reference)
DBS_CHECKS = (
    ("Patricia Okonkwo", 200, 900, "001234567890"),
    ("Siobhan O'Leary", 400, None, "001234567891"),
    ("Rosa Fernandes", 1110, -5, "001234567892"),  # ran out: due to be renewed
    ("Ravi Sharma", 90, 1005, "001234567893"),
    ("Marek Nowak", 300, 795, "001234567894"),
)
# (member, the member they asked not to be matched with, why)
BLOCKS = (("Harold Jenkins", "Winston Clarke", "Asked not to be paired again."),)


def mobile_number(index: int) -> str:
    """Return the demo mobile number of the `index`-th member, as people type it."""
    return f"{MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]} {(index * 7919 + 104729) % 10**6:06d}"


def national_format(e164: str | None) -> str:
    """Return a stored E.164 number the way it is written in the UK: 07123 456789."""
    return format_national(e164) if e164 else "-"


# --- Reading the demo bank back --------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """A demo account someone can sign in with."""

    name: str
    mobile: str
    role: str
    password: str = DEMO_PASSWORD


@dataclass(frozen=True)
class DemoSummary:
    """What a time bank holds, in the numbers a newcomer looks for."""

    name: str
    slug: str
    members_by_status: dict[str, int]
    gp_practices: list[str]
    exchanges: int  # one-to-one exchanges plus group exchanges, each counted once
    group_exchanges: int
    waiting: int  # transfers still waiting for confirmation
    transfers: int

    @property
    def members(self) -> int:
        return sum(self.members_by_status.values())


def find_bank(session: so.Session, slug: str) -> TimeBank | None:
    """Return the time bank with this short name, if there is one."""
    return session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))


def summarise_bank(session: so.Session, bank_id: int) -> DemoSummary:
    """Count a bank's members, exchanges and waiting transfers."""
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise InvalidInput("There is no such time bank.")
    by_status = dict(
        session.execute(
            sa.select(Member.status, sa.func.count())
            .where(Member.bank_id == bank_id)
            .group_by(Member.status)
        )
        .tuples()
        .all()
    )
    practices = session.scalars(
        sa.select(Organisation.name)
        .where(Organisation.bank_id == bank_id, Organisation.kind == "gp_practice")
        .order_by(Organisation.id)
    ).all()
    in_bank = Transfer.bank_id == bank_id
    count = sa.select(sa.func.count()).select_from(Transfer)
    resolved = sa.select(Transfer.pending_id).where(Transfer.pending_id.is_not(None))
    one_to_one = count.where(
        in_bank, Transfer.code == "exchange", Transfer.phase.in_(("posted", "pending"))
    )
    groups = sa.select(sa.func.count(sa.distinct(Transfer.group_id))).where(
        in_bank, Transfer.code == "group"
    )
    waiting = count.where(in_bank, Transfer.phase == "pending", Transfer.id.not_in(resolved))
    group_count = session.scalar(groups) or 0
    summary = DemoSummary(
        name=bank.name,
        slug=bank.slug,
        members_by_status=by_status,
        gp_practices=list(practices),
        exchanges=(session.scalar(one_to_one) or 0) + group_count,
        group_exchanges=group_count,
        waiting=session.scalar(waiting) or 0,
        transfers=session.scalar(count.where(in_bank)) or 0,
    )
    session.rollback()
    return summary


def demo_sign_ins(session: so.Session, bank_id: int) -> list[SignIn]:
    """Return the demo members who were given the demo password, staff first."""
    names = [seed.name for seed in MEMBERS if seed.sign_in]
    members = session.scalars(
        sa.select(Member).where(
            Member.bank_id == bank_id,
            Member.display_name.in_(names),
            Member.password_hash.is_not(None),
        )
    ).all()
    session.rollback()
    members = sorted(members, key=lambda m: names.index(m.display_name))
    return [SignIn(m.display_name, national_format(m.mobile_e164), m.role) for m in members]


# --- Building it -----------------------------------------------------------------------


def seed_demo_bank(
    session: so.Session,
    today: dt.date | None = None,
    slug: str = DEMO_SLUG,
    progress: Callable[[str], Any] = lambda _message: None,
) -> TimeBank:
    """Create the demo time bank with six months of history ending the day before `today`."""
    today = today or utcnow().date()
    if today > utcnow().date():
        raise InvalidInput("The demo history cannot end in the future.")
    bank = create_time_bank(session, DEMO_NAME, slug)
    progress(f"Created the time bank {bank.name} ({bank.slug}).")
    progress(f"Creating {len(MEMBERS)} members and a GP practice…")
    seeder = _Seeder(session, bank, today)
    progress("Recording six months of exchanges…")
    seeder.run()
    progress("Setting the demo passwords…")
    _finish_members(session, bank.id, seeder.people, today)
    progress("Posting offers and requests…")
    _post_listings(session, bank.id, seeder.people, today)
    progress("Recording safeguarding checks and a block…")
    _seed_safeguarding(session, bank.id, today)
    progress("Adding GP referrals by text…")
    _seed_referrals(session, bank.id, today)
    progress("Finding members who need a call from the broker…")
    found = refresh_flags(session, bank.id, today)
    progress(f"Outreach: {found.raised} reasons to get in touch.")
    return bank


@use_case
def _finish_members(
    session: so.Session, bank_id: int, people: list[_Person], today: dt.date
) -> None:
    # add_member stamps joined_at with the real clock; give members their story's dates,
    # and the demo password to the few who sign in. The password is public, so one hash
    # (argon2 is slow on purpose) serves all of them.
    password_hash = hash_password(DEMO_PASSWORD)
    for index, person in enumerate(people):
        member = session.get(Member, person.member_id)
        assert member is not None and member.bank_id == bank_id
        joined = today - dt.timedelta(days=person.seed.joined)
        member.joined_at = dt.datetime.combine(joined, dt.time(10, 0), tzinfo=dt.UTC)
        if person.seed.sign_in:
            member.password_hash = password_hash
        _describe(member, person, index)
    session.commit()


def _describe(member: Member, person: _Person, index: int) -> None:
    """Give a member the skills, help wanted and free times they told the broker."""
    if person.seed.role != "member":
        return
    member.skills = ", ".join(SKILL_CATEGORIES[skill] for skill in person.seed.skills)
    if person.seed.receives >= 2:
        member.help_wanted = HELP_WANTED[index % len(HELP_WANTED)]
    member.availability = AVAILABILITY[index % len(AVAILABILITY)]
    member.consent_at = member.joined_at


def _post_listings(
    session: so.Session, bank_id: int, people: list[_Person], today: dt.date
) -> None:
    by_name = {person.seed.name: person for person in people}
    for item in LISTINGS:
        person = by_name[item.name]
        posted = _at(today - dt.timedelta(days=item.days_ago), 11)
        times, travel = LISTING_TIMES.get(item.title, ("", ""))
        draft = ListingDraft(
            kind=item.kind,
            skill_category=SKILL_CATEGORIES[item.category],
            title=item.title,
            description=item.description,
            availability=item.when,
            area=person.seed.area,
            slots=slots_from_values(times.split()),
            travel=travel or "nearby",
            needs_check=item.title in HOME_VISITS,
        )
        post_listing(session, bank_id, person.member_id, draft, now=_clock(posted))


def _seed_safeguarding(session: so.Session, bank_id: int, today: dt.date) -> None:
    """Record the broker's DBS checks for a few members, and one block between two."""
    members = {m.display_name: m for m in session.scalars(sa.select(Member).where(
        Member.bank_id == bank_id))}  # fmt: skip
    broker = next(m.id for m in members.values() if m.role == "broker")
    session.commit()
    for name, ago, runs_out, reference in DBS_CHECKS:
        checked_on = today - dt.timedelta(days=ago)
        expires_on = None if runs_out is None else today + dt.timedelta(days=runs_out)
        safeguarding.record_check(
            session, bank_id, broker, members[name].id, checked_on, expires_on, reference
        )
    for name, other, why in BLOCKS:
        safeguarding.block(session, bank_id, broker, members[name].id, members[other].id, why)


@dataclass(eq=False)
class _Person:
    seed: MemberSeed
    member_id: int
    account_id: int
    trades_from: dt.date
    trades_until: dt.date  # exclusive

    @property
    def first_name(self) -> str:
        return self.seed.name.split()[0]

    def trades_on(self, day: dt.date) -> bool:
        return self.trades_from <= day < self.trades_until


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def _clock(stamp: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: stamp


# A limit the seed would breach is skipped, like a member told "not this time".
LIMIT_ERRORS = (errors.OverdraftLimitReached, errors.MaxBalanceReached)
# Exchanges per day, by weekday (Monday first): fewer at weekends.
DAILY_EXCHANGES = ((0, 1, 1, 2, 2, 3),) * 5 + ((0, 1, 1, 2), (0, 0, 1))
# Days a pending exchange waits for its answer: all under the 14 days before expiry.
ANSWER_DELAYS = (1, 1, 2, 2, 3, 4, 6, 8, 11, 13)
# Days a member waits after joining before their first exchange.
SETTLING_IN_DAYS = 5


class _Seeder:
    """Plays six months of a time bank's life through the services, in time order."""

    def __init__(self, session: so.Session, bank: TimeBank, today: dt.date) -> None:
        self.session = session
        self.bank_id = bank.id
        self.rng = random.Random(DEMO_SEED)
        self.end = _at(today, 0)
        self.start = today - dt.timedelta(days=HISTORY_DAYS)
        self.slug = bank.slug
        self._ids = itertools.count()
        self._seq = itertools.count()
        self._queue: list[tuple[dt.datetime, int, Callable[..., None], tuple[Any, ...]]] = []
        self._receiver_logged: list[ExchangeRequest] = []
        self.people = [self._add(index, seed, today) for index, seed in enumerate(MEMBERS)]
        self.broker = next(p for p in self.people if p.seed.role == "broker")
        add_organisation(session, bank.id, GP_PRACTICE, "gp_practice")
        self.pot_account_id = community_pot_account(session, bank.id).id
        session.rollback()
        self.skipped = 0

    # Scheduling

    def _schedule(self, stamp: dt.datetime, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._queue, (stamp, next(self._seq), action, args))

    def run(self) -> None:
        """Plan the six months, then play every event in time order."""
        for offset in range(HISTORY_DAYS):
            day = self.start + dt.timedelta(days=offset)
            self._schedule(_at(day, 7), self._plan_day)
            if day.day == 1:
                self._schedule(_at(day, 12), self._donations)
            if day.day == 15:
                self._schedule(_at(day, 16), self._grant)
        for group in GROUPS:
            for offset in range(group.first, HISTORY_DAYS, group.every):
                day = self.start + dt.timedelta(days=offset)
                self._schedule(_at(day, 10, 30), self._group, group)
        for person in self.people:
            if person.seed.then:
                when = self.end - dt.timedelta(days=person.seed.stops or 0)
                self._schedule(when.replace(hour=9), self._change_status, person)
        mistakes = ("duplicate", "wrong_minutes", "wrong_giver")
        for kind, offset in zip(mistakes, self.rng.sample(range(30, 160), 3), strict=True):
            day = self.start + dt.timedelta(days=offset)
            self._schedule(_at(day, 20, 30), self._mistake, kind)
        while self._queue:
            stamp, _seq, action, args = heapq.heappop(self._queue)
            if stamp < self.end:  # later answers have not come in yet: left waiting
                action(stamp, *args)

    # Members

    def _add(self, index: int, seed: MemberSeed, today: dt.date) -> _Person:
        member = add_member(
            self.session,
            self.bank_id,
            seed.name,
            mobile=mobile_number(index),
            email=seed.email,
            role=seed.role,
            status=seed.status,
            area=seed.area,
        )
        until = today
        if seed.stops is not None:
            # Leave time for their last exchanges to be answered before they stop.
            until = today - dt.timedelta(days=seed.stops + max(ANSWER_DELAYS) + 1)
        return _Person(
            seed=seed,
            member_id=member.id,
            account_id=account_of(self.session, self.bank_id, member.id).id,
            trades_from=today - dt.timedelta(days=seed.joined - SETTLING_IN_DAYS),
            trades_until=until,
        )

    def _change_status(self, stamp: dt.datetime, person: _Person) -> None:
        assert person.seed.then is not None
        if person.seed.then == "left":
            # Members who leave often give their unspent hours to the community pot.
            balance = self._balance(person.account_id)
            if balance > 0:
                self._pot_transfer(
                    stamp,
                    "donation",
                    person,
                    person.account_id,
                    self.pot_account_id,
                    balance,
                    "My hours for the pot: I have found paid work. Thank you all!",
                )
        set_member_status(self.session, self.bank_id, person.member_id, person.seed.then)

    def _traders(self, day: dt.date, side: str, category: str | None = None) -> list[_Person]:
        return [
            p
            for p in self.people
            if p.trades_on(day)
            and getattr(p.seed, side) > 0
            and (category is None or category in p.seed.skills)
        ]

    def _spare(self, people: list[_Person]) -> dict[int, int]:
        """Return how many minutes each person could still receive before their limit."""
        lowest = Account.credits_posted - Account.debits_posted - Account.debits_pending
        rows = self.session.execute(
            sa.select(Account.id, lowest, Account.min_balance).where(
                Account.id.in_([p.account_id for p in people])
            )
        ).tuples()
        spare = {
            account_id: (low - limit if limit is not None else 10**9)
            for account_id, low, limit in rows
        }
        self.session.rollback()
        return {p.member_id: spare[p.account_id] for p in people}

    def _balance(self, account_id: int) -> int:
        account = self.session.get(Account, account_id, populate_existing=True)
        assert account is not None
        balance = account.balance
        self.session.rollback()
        return balance

    def _pick(self, people: list[_Person], side: str) -> _Person | None:
        if not people:
            return None
        weights = [getattr(p.seed, side) for p in people]
        return self.rng.choices(people, weights=weights)[0]

    def _pick_many(self, people: list[_Person], side: str, count: int) -> list[_Person]:
        chosen: list[_Person] = []
        pool = list(people)
        while pool and len(chosen) < count:
            person = self._pick(pool, side)
            assert person is not None
            chosen.append(person)
            pool.remove(person)
        return chosen

    def _receivers(
        self, day: dt.date, minutes: int, exclude: list[_Person], count: int = 1
    ) -> list[_Person]:
        candidates = [p for p in self._traders(day, "receives") if p not in exclude]
        if not candidates:
            return []
        spare = self._spare(candidates)
        able = [p for p in candidates if spare[p.member_id] >= minutes]
        return self._pick_many(able, "receives", count)

    # Ledger calls

    def _new_id(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, f"{self.slug}/{next(self._ids)}")

    def _record(self, stamp: dt.datetime, request: ExchangeRequest) -> TransferResult | None:
        try:
            return record_exchange(self.session, request, now=_clock(stamp))
        except LIMIT_ERRORS:
            self.skipped += 1
            return None

    def _request(
        self,
        giver: _Person,
        receiver: _Person,
        minutes: int,
        category: str,
        by: _Person,
        happened_on: dt.date,
        description: str | None = None,
    ) -> ExchangeRequest:
        return ExchangeRequest(
            transfer_id=self._new_id(),
            bank_id=self.bank_id,
            giver_id=giver.member_id,
            receiver_id=receiver.member_id,
            minutes=minutes,
            recorded_by_id=by.member_id,
            happened_on=happened_on,
            description=description or self.rng.choice(DESCRIPTIONS[category]),
            skill_category=SKILL_CATEGORIES[category],
        )

    # Everyday exchanges

    def _plan_day(self, stamp: dt.datetime) -> None:
        for _ in range(self.rng.choice(DAILY_EXCHANGES[stamp.weekday()])):
            at = stamp.replace(hour=self.rng.randrange(9, 21), minute=self.rng.randrange(60))
            self._schedule(at, self._exchange)

    def _exchange(self, stamp: dt.datetime) -> None:
        day = stamp.date()
        giver = self._pick(self._traders(day, "gives"), "gives")
        if giver is None:
            return
        category = self.rng.choice(giver.seed.skills)
        minutes = self.rng.choice(MINUTES[category])
        found = self._receivers(day, minutes, exclude=[giver])
        if not found:
            return
        receiver = found[0]
        happened_on = day - dt.timedelta(days=self.rng.choice((0, 0, 0, 1, 2)))
        # The receiver or the broker records it (posted at once), or the giver logs it and
        # it waits for the receiver. The broker types up paper slips later, so in the last
        # week most of what is in came from givers.
        how = self.rng.random() + (0.3 if (self.end - stamp).days < 7 else 0)
        by = receiver if how < 0.35 else self.broker if how < 0.5 else giver
        request = self._request(giver, receiver, minutes, category, by, happened_on)
        result = self._record(stamp, request)
        if result is None:
            return
        if result.phase == "pending":
            answer = stamp + dt.timedelta(days=self.rng.choice(ANSWER_DELAYS), hours=1)
            self._schedule(answer, self._answer, result.id, giver, receiver, minutes)
        elif by is receiver:
            self._receiver_logged.append(request)

    def _answer(
        self,
        stamp: dt.datetime,
        pending_id: uuid.UUID,
        giver: _Person,
        receiver: _Person,
        minutes: int,
    ) -> None:
        roll = self.rng.random()
        if roll < 0.08:
            reason = self.rng.choice(DECLINE_REASONS)
            decline_pending(
                self.session,
                self.bank_id,
                pending_id,
                self._new_id(),
                receiver.member_id,
                reason=reason,
                now=_clock(stamp),
            )
            return
        fewer = None
        if roll < 0.2 and minutes > 30:
            fewer = minutes - self.rng.choice((15, 30))
        confirm_pending(
            self.session,
            self.bank_id,
            pending_id,
            self._new_id(),
            receiver.member_id,
            minutes=fewer,
            now=_clock(stamp),
        )

    # Group activities

    def _group(self, stamp: dt.datetime, group: GroupSeed) -> None:
        day = stamp.date()
        size = self.rng.randint(*group.size)
        if group.single == "giver":
            giver = self._pick(self._traders(day, "gives", group.category), "gives")
            if giver is None:
                return
            givers = [giver]
            receivers = self._receivers(day, group.minutes, exclude=[giver], count=size)
        else:
            found = self._receivers(day, group.minutes * size, exclude=[])
            if not found:
                return
            receivers = found
            helpers = [p for p in self._traders(day, "gives", group.category) if p not in found]
            givers = self._pick_many(helpers, "gives", size)
        if len(givers) + len(receivers) < 3:
            return
        recent = (self.end - stamp).days < max(ANSWER_DELAYS)
        # Now and then the one giver logs it themselves; each receiver then confirms.
        self_logged = group.single == "giver" and (recent or self.rng.random() < 0.3)
        request = GroupExchangeRequest(
            group_id=self._new_id(),
            bank_id=self.bank_id,
            giver_ids=[p.member_id for p in givers],
            receiver_ids=[p.member_id for p in receivers],
            minutes=group.minutes,
            recorded_by_id=(givers[0] if self_logged else self.broker).member_id,
            happened_on=day,
            description=group.description.format(receiver=receivers[0].first_name),
            skill_category=SKILL_CATEGORIES[group.category],
        )
        try:
            results = record_group_exchange(self.session, request, now=_clock(stamp))
        except LIMIT_ERRORS:
            self.skipped += 1
            return
        if not self_logged:
            return
        for index, (result, receiver) in enumerate(zip(results, receivers, strict=True)):
            if result.phase == "pending":
                assert result.id == group_transfer_id(request.group_id, index)
                answer = stamp + dt.timedelta(days=self.rng.choice(ANSWER_DELAYS), hours=index)
                self._schedule(answer, self._confirm, result.id, receiver)

    def _confirm(self, stamp: dt.datetime, pending_id: uuid.UUID, receiver: _Person) -> None:
        confirm_pending(
            self.session,
            self.bank_id,
            pending_id,
            self._new_id(),
            receiver.member_id,
            now=_clock(stamp),
        )

    # The community pot

    def _donations(self, stamp: dt.datetime) -> None:
        day = stamp.date()
        givers = self._traders(day, "gives")
        spare = self._spare(givers)
        donors = [p for p in givers if spare[p.member_id] >= 1200 and p.seed.gives >= 3]
        for donor in donors[:3]:
            if self.rng.random() < 0.6:
                minutes = self.rng.choice((120, 180, 240, 300))
                self._pot_transfer(
                    stamp,
                    "donation",
                    donor,
                    donor.account_id,
                    self.pot_account_id,
                    minutes,
                    "Hours for members who need extra help",
                )
                stamp += dt.timedelta(minutes=17)

    def _grant(self, stamp: dt.datetime) -> None:
        day = stamp.date()
        available = self._balance(self.pot_account_id)
        people = self._traders(day, "receives")
        spare = self._spare(people)
        near_limit = sorted((spare[p.member_id], p.seed.name, p) for p in people)
        if available < 120 or not near_limit or near_limit[0][0] > 120:
            return
        person = near_limit[0][2]
        minutes = min(240, available - available % 60)
        self._pot_transfer(
            stamp,
            "grant",
            self.broker,
            self.pot_account_id,
            person.account_id,
            minutes,
            "Grant from the community pot so help can carry on",
        )

    def _pot_transfer(
        self,
        stamp: dt.datetime,
        code: str,
        by: _Person,
        debit_account_id: int,
        credit_account_id: int,
        minutes: int,
        description: str,
    ) -> None:
        request = AccountTransferRequest(
            transfer_id=self._new_id(),
            bank_id=self.bank_id,
            debit_account_id=debit_account_id,
            credit_account_id=credit_account_id,
            minutes=minutes,
            code=code,
            recorded_by_id=by.member_id,
            description=description,
            happened_on=stamp.date(),
        )
        try:
            record_account_transfer(self.session, request, now=_clock(stamp))
        except LIMIT_ERRORS:
            self.skipped += 1

    # Mistakes the broker puts right

    def _mistake(self, stamp: dt.datetime, kind: str) -> None:
        day = stamp.date()
        if kind == "duplicate":
            if not self._receiver_logged:
                return
            first = self._receiver_logged[-1]
            twice = ExchangeRequest(**{**first.__dict__, "transfer_id": self._new_id()})
            reason = "Logged twice by mistake; the first entry stands."
            self._wrong_then_right(stamp, twice, None, reason)
            return
        givers = self._traders(day, "gives")
        giver = self._pick(givers, "gives")
        if giver is None:
            return
        category = self.rng.choice(giver.seed.skills)
        if kind == "wrong_minutes":
            meant, typed = 45, 450
            found = self._receivers(day, typed, exclude=[giver])
            if not found:
                return
            right = self._request(giver, found[0], meant, category, found[0], day)
            wrong = ExchangeRequest(
                **{**right.__dict__, "transfer_id": self._new_id(), "minutes": typed}
            )
            reason = (
                f"Entered as {format_duration(typed)} instead of {format_duration(meant)}; "
                "entered again with the right time."
            )
        else:
            minutes = self.rng.choice(MINUTES[category])
            found = self._receivers(day, minutes, exclude=[giver])
            others = [p for p in givers if p is not giver and (not found or p is not found[0])]
            if not found or not others:
                return
            wrong_giver = others[self.rng.randrange(len(others))]
            right = self._request(giver, found[0], minutes, category, found[0], day)
            wrong = ExchangeRequest(
                **{
                    **right.__dict__,
                    "transfer_id": self._new_id(),
                    "giver_id": wrong_giver.member_id,
                }
            )
            reason = (
                f"Recorded against {wrong_giver.seed.name} by mistake; the help came from "
                f"{giver.seed.name}, entered again."
            )
        self._wrong_then_right(stamp, wrong, right, reason)

    def _wrong_then_right(
        self,
        stamp: dt.datetime,
        wrong: ExchangeRequest,
        right: ExchangeRequest | None,
        reason: str,
    ) -> None:
        if self._record(stamp, wrong) is None:
            return
        fixed = stamp + dt.timedelta(days=self.rng.choice((1, 2)), hours=-10)
        self._schedule(fixed, self._reverse, wrong.transfer_id, reason, right)

    def _reverse(
        self,
        stamp: dt.datetime,
        transfer_id: uuid.UUID,
        reason: str,
        right: ExchangeRequest | None,
    ) -> None:
        try:
            reverse_transfer(
                self.session,
                self.bank_id,
                transfer_id,
                self._new_id(),
                self.broker.member_id,
                reason,
                now=_clock(stamp),
            )
        except LIMIT_ERRORS:
            self.skipped += 1
            return
        if right is not None:
            corrected = ExchangeRequest(
                **{**right.__dict__, "recorded_by_id": self.broker.member_id}
            )
            self._record(stamp + dt.timedelta(minutes=5), corrected)


# --- GP referrals by text --------------------------------------------------------------

DEMO_SMS_NUMBER = "+447400000000"
PRACTICE_MOBILE = "07400 000001"
# (first name, days ago, mobile or None for the member of that name, reason, answer)
REFERRALS = (
    ("Lucy Hammond", 50, None, "new to the area", True),
    ("Tendai Moyo", 20, None, "new to the area", True),
    ("Winifred", 25, "+447812000301", "lonely since losing her husband", None),
    ("Arthur", 9, "+447812000302", "would like to get out more", False),
    ("Rose", 6, "+447812000303", "isolated after a fall", True),
    ("Len", 2, "+447812000304", "carer for his wife, needs a break", None),
)


def _seed_referrals(session: so.Session, bank_id: int, today: dt.date) -> None:
    """Make the GP practice a referral partner and add referrals at each stage."""
    bank = session.get(TimeBank, bank_id)
    assert bank is not None
    bank.sms_number = DEMO_SMS_NUMBER
    members = {m.display_name: m for m in session.scalars(sa.select(Member).where(
        Member.bank_id == bank_id))}  # fmt: skip
    admin = next(m.id for m in members.values() if m.role == "admin")
    broker = next(m.id for m in members.values() if m.role == "broker")
    org = session.scalars(sa.select(Organisation.id).where(
        Organisation.bank_id == bank_id, Organisation.name == GP_PRACTICE)).one()  # fmt: skip
    session.commit()
    partner = partners.add_partner(session, bank_id, admin, GP_PRACTICE, org)
    partners.add_partner_number(session, bank_id, admin, partner.id, PRACTICE_MOBILE)

    def day(days_ago: int) -> dt.datetime:
        return _at(today - dt.timedelta(days=days_ago), 10)

    for name, ago, mobile, reason, answer in REFERRALS:
        member = members.get(name)
        e164 = mobile or (member.mobile_e164 if member else None)
        assert e164 is not None
        texts.handle_refer(session, bank, partner, Refer(e164, name.split()[0], reason), day(ago))
        if answer is not None:
            texts.handle_invitation_answer(session, bank, e164, answer, day(ago - 1))
        session.commit()
        if member is not None:  # these two joined: a broker called, then signed them up
            referral = services.open_referral_for(session, bank_id, e164)
            assert referral is not None
            services.mark_contacted(session, bank_id, referral.id, broker, _clock(day(ago - 2)))
            services.link_member(
                session, bank_id, referral.id, member.id, broker, _clock(member.joined_at)
            )
    texts.handle_join(session, bank, "+447812000305", Join("Priya"), day(1))
    session.commit()
    services.follow_up_referrals(session, _at(today, 0))
    # These texts belong to the story's past: show them as sent, not waiting to go out.
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.bank_id == bank_id, OutboxMessage.purpose.like("referral%"))
        .values(status="sent", sent_at=OutboxMessage.created_at)
    )
    session.commit()
