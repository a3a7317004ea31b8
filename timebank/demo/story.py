"""The demo time bank's story as plain data: its people, their skills, listings and referrals.

Nothing here runs: `timebank.demo.seed` and the modules it calls play this story through
the services. Change a name or a number here and the demo bank changes with it (the test
`tests/functional/test_demo_seed_fingerprint.py` then says by how much).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

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


# What members told the broker they would like help with, and when they are free.
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
# Exchanges per day, by weekday (Monday first): fewer at weekends.
DAILY_EXCHANGES = ((0, 1, 1, 2, 2, 3),) * 5 + ((0, 1, 1, 2), (0, 0, 1))
# Days a pending exchange waits for its answer: all under the 14 days before expiry.
ANSWER_DELAYS = (1, 1, 2, 2, 3, 4, 6, 8, 11, 13)
# Days a member waits after joining before their first exchange.
SETTLING_IN_DAYS = 5

# GP referrals by text
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
