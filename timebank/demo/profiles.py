"""What members told the broker, what they posted, and the broker's safeguarding records."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker import safeguarding
from timebank.db import use_case
from timebank.demo.history import Person
from timebank.demo.stamps import at, fixed_clock
from timebank.demo.story import (
    AVAILABILITY,
    BLOCKS,
    DBS_CHECKS,
    DEMO_PASSWORD,
    HELP_WANTED,
    HOME_VISITS,
    LISTING_TIMES,
    LISTINGS,
    SKILL_CATEGORIES,
)
from timebank.members.models import Member
from timebank.members.passwords import hash_password
from timebank.offers.services import ListingDraft, post_listing
from timebank.offers.times import slots_from_values


@use_case
def finish_members(session: so.Session, bank_id: int, people: list[Person], today: dt.date) -> None:
    """Give members the dates of their story, their profiles and the demo password."""
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


def _describe(member: Member, person: Person, index: int) -> None:
    """Give a member the skills, help wanted and free times they told the broker."""
    if person.seed.role != "member":
        return
    member.skills = ", ".join(SKILL_CATEGORIES[skill] for skill in person.seed.skills)
    if person.seed.receives >= 2:
        member.help_wanted = HELP_WANTED[index % len(HELP_WANTED)]
    member.availability = AVAILABILITY[index % len(AVAILABILITY)]
    member.consent_at = member.joined_at


def post_listings(session: so.Session, bank_id: int, people: list[Person], today: dt.date) -> None:
    """Post the demo's open offers and requests, each on the day its story says."""
    by_name = {person.seed.name: person for person in people}
    for item in LISTINGS:
        person = by_name[item.name]
        posted = at(today - dt.timedelta(days=item.days_ago), 11)
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
        post_listing(session, bank_id, person.member_id, draft, now=fixed_clock(posted))


def seed_safeguarding(session: so.Session, bank_id: int, today: dt.date) -> None:
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
