"""A realistic, deterministic demonstration time bank, built only through the services.

`seed_demo_bank` creates about sixty members in Lewisham neighbourhoods, a GP practice and
six months of history: exchanges posted at once, pending ones confirmed (some for fewer
minutes), declined or still waiting, group exchanges, donations to the community pot, grants
from it and a few mistakes reversed by the broker. Every choice comes from a seeded
`random.Random` and every transfer id from a fixed namespace, so the same `today` always
gives the same data.

The story itself (people, skills, listings, groups, referrals) is plain data in
`timebank.demo.story`; the modules here play it through the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy.orm as so

from timebank.broker.outreach import refresh_flags
from timebank.clock import utcnow
from timebank.demo.history import Seeder
from timebank.demo.profiles import finish_members, post_listings, seed_safeguarding
from timebank.demo.referrals import seed_referrals
from timebank.demo.story import DEMO_NAME, DEMO_SLUG, MEMBERS
from timebank.errors import InvalidInput
from timebank.membership.banks import create_time_bank
from timebank.tenancy.models import TimeBank


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
    seeder = Seeder(session, bank, today)
    progress("Recording six months of exchanges…")
    seeder.run()
    progress("Setting the demo passwords…")
    finish_members(session, bank.id, seeder.people, today)
    progress("Posting offers and requests…")
    post_listings(session, bank.id, seeder.people, today)
    progress("Recording safeguarding checks and a block…")
    seed_safeguarding(session, bank.id, today)
    progress("Adding GP referrals by text…")
    seed_referrals(session, bank.id, today)
    progress("Finding members who need a call from the broker…")
    found = refresh_flags(session, bank.id, today)
    progress(f"Outreach: {found.raised} reasons to get in touch.")
    return bank
