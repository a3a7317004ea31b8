"""`make bench`, the reports' part: a year's dashboard for a bank of 100,000 members.

Builds one time bank in a PostgreSQL database of its own (dropped at the end, unless kept):
100,000 members in two dozen neighbourhoods who joined over three years (some have left),
5,000,000 transfers over 1,100 days, most of them recent, each naming a skill category (with
group exchanges, pending exchanges and their confirmations, and reversals; outside group
sessions each member is helped by a circle of at most eight people), offers and
requests (most requests matched), five GP practices with a few thousand referrals through
every step of the pipeline (the ones who joined linked to their members), and outreach flags
with the contacts brokers made.

Then it times the broker's report for three periods: the literal 90 and 365 days up to the
bench's TODAY (they start and end inside months) and the dashboard's year (its "last 12
months": twelve whole months). For each, `build_report` alone and GET /reports for a
signed-in broker (the whole HTML page, end to end, through the Flask test client), each
warmed up once and run three times. Before every timed run it records 50 new exchanges
through the ledger's own service, so every report first brings the summaries up to date
with them, as it would after a day's logging; each page must show the period's exchanges
as the transfers count them at that moment. It prints every run, the slowest statements,
`report_90_days_build_s=`, `report_365_days_build_s=` and `report_build_s=` (the year), then
`report_catch_up_s=` (bringing the summaries up to date after 50 exchanges), and last the
pages' medians: `report_90_days_s=`, `report_365_days_s=` and `report_year_s=`.

Usage: python -m tests.perf.bench_report [--members N] [--transfers N] [--circle N]
       [--runs N] [--keep | --reuse NAME] [--only-build-report]
       [--summaries-as-kept]

`--keep` leaves the database in place and prints its name; `--reuse NAME` measures a kept
database without building anything. `--only-build-report` times `build_report` and nothing
else, for tuning the queries against a kept database. Before timing, it rebuilds the report
summaries the page reads (`report_refresh_s=`), unless `--summaries-as-kept` says to use
them as they are.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import os
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import psycopg
import sqlalchemy as sa

from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    migrate,
    postgres_admin_url,
)
from tests.perf.bench_broker import (
    NOW,
    TODAY,
    analyze,
    copy_rows,
    create_bank,
    kept_bank,
    load_listings,
    load_members,
    load_transfers,
    raw,
    set_counters,
)
from tests.perf.bench_ledger import describe_machine, say
from tests.perf.ledger_load import ledger_session
from timebank.offers.skills import DEFAULT_SKILL_CATEGORIES
from timebank.reports.period import preset

SLUG = "report"
# The modules through which the page calls `build_report`.
BUILDERS = ("timebank.reports.build", "timebank.reports.summary")
TARGET_S = 2.0
# The dashboard's own "year": its "last 12 months", twelve whole months before this one.
YEAR = preset("last_12_months", TODAY)
YEAR_START, YEAR_END = YEAR.start, YEAR.end
# The literal 365 and 90 days up to TODAY: they start and end inside months.
DAYS_START = TODAY - dt.timedelta(days=364)
DAYS_90_START = TODAY - dt.timedelta(days=89)
# The periods timed, in the order their medians are printed (the year last).
PERIODS = (
    ("report_90_days_s", DAYS_90_START, TODAY),
    ("report_365_days_s", DAYS_START, TODAY),
    ("report_year_s", YEAR_START, YEAR_END),
)
# Exchanges recorded before each timed run, so every run first brings the summaries up to
# date with them, as a report does after a day's logging.
NEW_EXCHANGES = 50
BROKER_EMAIL = "reports.broker@bench.example"
BROKER_PASSWORD = "ledger lantern orchard"
ID_BASE = 3 * 10**12
PRACTICES = (
    "Rushey Green Group Practice",
    "Hilly Fields Medical Centre",
    "Sydenham Green Health Centre",
    "Lee Road Surgery",
    "Jenner Practice",
)
# Where a referral's path ends, and how often (out of 100).
REFERRAL_ENDS = {
    "received": 2,
    "invited": 3,
    "declined": 12,
    "no_reply": 18,
    "consented": 5,
    "contacted": 8,
    "joined": 15,
    "first_exchange": 30,
    "closed": 7,
}
PATH = ("received", "invited", "consented", "contacted", "joined", "first_exchange", "closed")
FLAG_RULES = (
    "inactive",
    "no_first_exchange",
    "only_giving",
    "near_limit_no_offers",
    "unanswered_offers",
    "below_rhythm",
)
# Where a flag stands now (out of 100), and how a resolved one ended.
FLAG_ENDS = {"open": 30, "snoozed": 5, "resolved": 50, "cleared": 15}
FLAG_OUTCOMES = ("re_engaged", "re_engaged", "needs_support", "paused", "left")
CONTACT_METHODS = ("phoned", "phoned", "texted", "visited", "no_answer")


@dataclass(frozen=True)
class Sizes:
    """How big the bank is and how the run goes."""

    members: int
    transfers: int
    circle: int = 8
    runs: int = 3
    keep: bool = False
    reuse: str | None = None
    only_build_report: bool = False
    summaries_as_kept: bool = False


def parse_args(argv: Sequence[str] | None) -> Sizes:
    """Read the command line (defaults: the sizes the issue names)."""
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_report")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--transfers", type=int, default=5_000_000)
    parser.add_argument(
        "--circle", type=int, default=8, help="most people a member is helped by (0: anyone)"
    )
    parser.add_argument("--runs", type=int, default=3, help="measured runs after a warm-up (3)")
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument("--keep", action="store_true", help="keep the database after the run")
    kept.add_argument("--reuse", metavar="NAME", help="measure a kept database, build nothing")
    parser.add_argument(
        "--only-build-report", action="store_true", help="time build_report alone, no page"
    )
    parser.add_argument(
        "--summaries-as-kept",
        action="store_true",
        help="with --reuse: time the reports on the summaries as they are, without rebuilding",
    )
    args = parser.parse_args(argv)
    if args.members < 50 or args.transfers < 1000:
        parser.error("the bank needs at least 50 members and 1,000 transfers")
    if args.circle < 0:
        parser.error("--circle is a number of people: 0 (anyone) or more")
    return Sizes(
        args.members,
        args.transfers,
        args.circle,
        max(1, args.runs),
        keep=args.keep or args.reuse is not None,
        reuse=args.reuse,
        only_build_report=args.only_build_report,
        summaries_as_kept=args.summaries_as_kept,
    )


# --- Members, listings and the ledger --------------------------------------------------------


def has_column(conn: psycopg.Connection, table: str, column: str) -> bool:
    """Return True when the migrated schema has this column (newer migrations add some)."""
    found = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        (table, column),
    ).fetchone()
    return found is not None


def date_departures(conn: psycopg.Connection, bank_id: int) -> None:
    """Give members who left a day they left, between joining and the bench's today."""
    if has_column(conn, "members", "left_at"):
        conn.execute(
            """UPDATE members SET left_at = joined_at + (%(now)s - joined_at) * (id %% 89 / 89.0)
               WHERE bank_id = %(bank)s AND status = 'left'""",
            {"bank": bank_id, "now": NOW},
        )


def match_requests(conn: psycopg.Connection, bank_id: int, broker: int) -> None:
    """Match three requests in five with another member, a day to six weeks after posting.

    The helper is picked by arithmetic on the consecutive member ids, never the requester.
    """
    conn.execute(
        """UPDATE listings SET status = 'closed', updated_at = matched,
               matched_at = matched
           FROM (SELECT id AS listing, created_at + (1 + id %% 41) * interval '1 day' AS matched
                 FROM listings WHERE bank_id = %(bank)s AND kind = 'request') AS picked
           WHERE listings.id = picked.listing AND listings.id %% 5 < 3 AND matched < %(now)s""",
        {"bank": bank_id, "now": NOW},
    )
    first, members = conn.execute(
        "SELECT min(id), count(*) FROM members WHERE bank_id = %s AND role = 'member'", (bank_id,)
    ).fetchone()
    conn.execute(
        """INSERT INTO proposals (bank_id, request_id, helper_id, proposed_by_id, channel, status,
               why, message, meeting_place, created_at, answered_at, introduced_at, matched_at,
               updated_at)
           SELECT bank_id, id, %(first)s + (member_id - %(first)s + 1 + id %% 97) %% %(members)s,
                  %(broker)s, 'web', 'matched', '', '', '', matched_at - interval '1 day',
                  matched_at - interval '20 hours', matched_at - interval '18 hours', matched_at,
                  matched_at
           FROM listings WHERE bank_id = %(bank)s AND matched_at IS NOT NULL""",
        {"bank": bank_id, "first": first, "members": members, "broker": broker},
    )


def add_group_exchanges(conn: psycopg.Connection, bank_id: int, sessions: int) -> int:
    """Add group sessions: one member gives an hour or more to two to eight others at once.

    Each session's transfers share a group id and post together. Returns how many transfers.
    """
    first, accounts = conn.execute(
        "SELECT min(id), count(*) FROM accounts WHERE bank_id = %s AND member_id IS NOT NULL",
        (bank_id,),
    ).fetchone()
    traders = max(3, accounts * 9 // 10)
    conn.execute("SET LOCAL session_replication_role = replica")
    conn.execute("SELECT setseed(0.17)")
    added = conn.execute(
        """INSERT INTO transfers (id, bank_id, debit_account_id, credit_account_id, amount, code,
               phase, group_id, description, skill_category, happened_on, recorded_at,
               request_digest)
           SELECT lpad(to_hex(%(base)s + 900000000 + s * 16 + r), 32, '0')::uuid, %(bank)s,
                  %(first)s + (giver + 1 + (r * 37) %% (%(traders)s - 1)) %% %(traders)s,
                  %(first)s + giver, 60 * (1 + s %% 3), 'group', 'posted',
                  lpad(to_hex(%(base)s + 800000000 + s), 32, '0')::uuid, 'Group session',
                  (%(categories)s::text[])[1 + s %% %(kinds)s], day, day + time '15:00', 'bench'
           FROM (SELECT s, floor(random() * %(traders)s)::int AS giver,
                        2 + floor(random() * 7)::int AS size,
                        %(today)s::date - floor(random() ^ 2 * 1100)::int AS day
                 FROM generate_series(1, %(sessions)s) AS s) AS picked,
                generate_series(1, picked.size) AS r""",
        {
            "base": ID_BASE,
            "bank": bank_id,
            "first": first,
            "traders": traders,
            "categories": list(DEFAULT_SKILL_CATEGORIES),
            "kinds": len(DEFAULT_SKILL_CATEGORIES),
            "today": TODAY,
            "sessions": sessions,
        },
    ).rowcount
    return added


def reversible(count: int, how_many: int) -> list[int]:
    """Return serial numbers of load_transfers' posted exchanges, spread over all of them."""
    pending = count // 100
    loaded = count - pending * 4 // 5
    candidates = [
        g for g in range(pending + 1, loaded + 1) if g % 50 != 0 and g % 97 != 0 and g % 7 == 3
    ]
    step = max(1, len(candidates) // max(1, how_many))
    return candidates[::step][:how_many]


def add_reversals(conn: psycopg.Connection, bank_id: int, serials: Sequence[int]) -> None:
    """Reverse these exchanges (logged by mistake), two days after each was recorded."""
    conn.execute("SET LOCAL session_replication_role = replica")
    conn.execute(
        """INSERT INTO transfers (id, bank_id, debit_account_id, credit_account_id, amount, code,
               phase, reverses_id, description, reason, skill_category, happened_on,
               recorded_at, request_digest)
           SELECT lpad(to_hex(%(base)s + 950000000 + n), 32, '0')::uuid, bank_id,
                  credit_account_id, debit_account_id, amount, 'reversal', 'posted', id, '',
                  'Logged twice by mistake', skill_category, happened_on,
                  recorded_at + interval '2 days', 'bench'
           FROM transfers
           JOIN unnest(%(serials)s::bigint[]) WITH ORDINALITY AS s(serial, n)
             ON id = lpad(to_hex(%(base)s + serial), 32, '0')::uuid""",
        {"base": ID_BASE, "serials": list(serials)},
    )


def load_ledger(conn: psycopg.Connection, bank_id: int, transfers: int, circle: int) -> None:
    """Add exactly `transfers` transfers: group sessions, the bulk, then some reversals.

    In the bulk, each member is helped by at most `circle` people (0: anyone at all).
    """
    grouped = add_group_exchanges(conn, bank_id, max(1, transfers // 300))
    reversals = transfers // 500
    bulk = transfers - grouped - reversals
    load_transfers(
        conn,
        bank_id,
        bulk,
        id_base=ID_BASE,
        spread_days=1100,
        rebuild_indexes=True,
        categories=DEFAULT_SKILL_CATEGORIES,
        circles=circle,
    )
    add_reversals(conn, bank_id, reversible(bulk, reversals))
    set_counters(conn, bank_id)  # again, now that the reversals moved hours back


# --- Referrals ------------------------------------------------------------------------------


@dataclass
class Referral:
    """One referral's row and the steps it went through, with when."""

    partner: int | None
    mobile: str
    first_name: str
    member: int | None
    steps: list[tuple[str, dt.datetime]] = field(default_factory=list)

    def at(self, status: str) -> dt.datetime | None:
        """Return when the referral reached `status`, if it did."""
        return next((when for step, when in self.steps if step == status), None)


def recent_joiners(conn: psycopg.Connection, bank_id: int) -> list[tuple[int, str, dt.datetime]]:
    """Return active members who joined in the last two years: id, mobile, joining time."""
    rows = conn.execute(
        """SELECT id, mobile_e164, joined_at FROM members
           WHERE bank_id = %s AND role = 'member' AND status = 'active'
             AND joined_at > %s - interval '730 days' ORDER BY id""",
        (bank_id, NOW),
    )
    return list(rows)


def referral_path(end: str, rng: random.Random, joined: dt.datetime | None) -> list[tuple]:
    """Return the steps to `end` with their times, stopping at any step still to come.

    A referral that led to a member works back from the day they joined; one still waiting
    for an answer is from the last week; the rest are spread over two years.
    """
    if joined is not None:
        created = joined - dt.timedelta(days=rng.uniform(5, 45))
    elif end in ("received", "invited", "consented"):
        created = NOW - dt.timedelta(days=rng.uniform(0.1, 6))
    else:
        created = NOW - dt.timedelta(days=rng.uniform(8, 730))
    invited = created + dt.timedelta(hours=rng.uniform(0.2, 3))
    steps = [("received", created), ("invited", invited)]
    if end in ("declined", "no_reply"):
        wait = rng.uniform(2, 40) if end == "declined" else 24 * 7
        return [*steps, (end, invited + dt.timedelta(hours=wait))]
    answered = invited + dt.timedelta(hours=rng.uniform(1, 30))
    times = {"consented": answered, "contacted": answered + dt.timedelta(days=rng.uniform(1, 4))}
    if joined is not None:
        times["joined"] = joined
        times["first_exchange"] = joined + dt.timedelta(days=rng.uniform(2, 60))
        times["closed"] = times["first_exchange"] + dt.timedelta(days=rng.uniform(60, 200))
    for status in PATH[2 : PATH.index(end) + 1]:
        if times[status] > NOW:
            break
        steps.append((status, times[status]))
    return steps


def plan_referrals(
    joiners: list[tuple[int, str, dt.datetime]],
    count: int,
    partners: Sequence[int],
    rng: random.Random,
) -> list[Referral]:
    """Return `count` referrals, each ending at a step about as often as REFERRAL_ENDS says."""
    ends = rng.choices(list(REFERRAL_ENDS), list(REFERRAL_ENDS.values()), k=count)
    joiners = rng.sample(joiners, min(len(joiners), count))
    planned = []
    for n, end in enumerate(ends):
        linked = None
        if end in PATH[4:]:  # joined or further: a member to link
            if joiners:
                linked = joiners.pop()
            else:
                end = "contacted"
        partner = rng.choice(partners) if rng.random() < 0.95 else None  # a few texted JOIN
        mobile = linked[1] if linked else f"+4479{n:08d}"
        referral = Referral(partner, mobile, rng.choice(("Ann", "Bo", "Cy", "Dee")), None)
        if linked is not None:
            referral.member = linked[0]
        referral.steps = referral_path(end, rng, linked[2] if linked else None)
        planned.append(referral)
    return planned


def load_referrals(
    conn: psycopg.Connection, bank_id: int, broker: int, count: int, rng: random.Random
) -> None:
    """Add five GP practices and `count` referrals from them, each step dated and audited."""
    copy_rows(
        conn,
        "referral_partners",
        ("bank_id", "name", "active", "created_at"),
        ((bank_id, name, True, NOW - dt.timedelta(days=900)) for name in PRACTICES),
    )
    partners = [
        row[0]
        for row in conn.execute("SELECT id FROM referral_partners WHERE bank_id = %s", (bank_id,))
    ]
    planned = plan_referrals(recent_joiners(conn, bank_id), count, partners, rng)
    columns = ("bank_id", "partner_id", "patient_e164", "first_name", "reason", "status")
    columns += ("outcome", "member_id", "created_at", "updated_at", "invited_at", "answered_at")
    columns += ("joined_at", "first_exchange_at", "closed_at")
    copy_rows(conn, "referrals", columns, (referral_row(bank_id, r) for r in planned))
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM referrals WHERE bank_id = %s ORDER BY id", (bank_id,)
        )
    ]
    events = (
        (bank_id, referral_id, status, None if status in ("received", "invited") else broker, when)
        for referral_id, referral in zip(ids, planned, strict=True)
        for status, when in referral.steps
    )
    columns = ("bank_id", "referral_id", "status", "actor_id", "at")
    copy_rows(conn, "referral_events", (*columns, "note"), ((*event, "") for event in events))


def referral_row(bank_id: int, referral: Referral) -> tuple:
    """Return a referral's row as it stands after its last step."""
    status, last = referral.steps[-1]
    answered = referral.at("consented") or referral.at("declined")
    outcome = "Still trading" if status == "closed" else None
    return (
        bank_id,
        referral.partner,
        referral.mobile,
        referral.first_name,
        "Lonely since moving",
        status,
        outcome,
        referral.member,
        referral.steps[0][1],
        last,
        referral.at("invited"),
        answered,
        referral.at("joined"),
        referral.at("first_exchange"),
        referral.at("closed"),
    )


# --- Outreach -------------------------------------------------------------------------------


def plan_flag(bank_id: int, member: int, broker: int, rng: random.Random) -> tuple:
    """Return one outreach flag raised in the last 500 days, as it stands now."""
    rule = rng.choice(FLAG_RULES)
    raised = NOW - dt.timedelta(days=rng.uniform(0, 500))
    status = rng.choices(list(FLAG_ENDS), list(FLAG_ENDS.values()))[0]
    if status in ("open", "snoozed"):  # still waiting: raised recently
        raised = NOW - dt.timedelta(days=rng.uniform(0, 60))
    settled = raised + dt.timedelta(days=rng.uniform(1, 40))
    done = status in ("resolved", "cleared") and settled < NOW
    if status in ("resolved", "cleared") and not done:
        status = "open"
    return (
        bank_id,
        member,
        rule,
        f"Flagged by the {rule.replace('_', ' ')} rule.",
        (raised - dt.timedelta(days=rng.randint(30, 200))).date(),
        status,
        raised,
        settled if done else raised,
        broker if rng.random() < 0.6 else None,
        (TODAY + dt.timedelta(days=14)) if status == "snoozed" else None,
        rng.choice(FLAG_OUTCOMES) if status == "resolved" else None,
        settled if done else None,
        broker if status == "resolved" else None,
    )


def plan_contacts(flag_id: int, flag: tuple, broker: int, rng: random.Random) -> list[tuple]:
    """Return the broker's attempts to reach a flagged member; the last says how it ended."""
    bank_id, member, status, raised, outcome, resolved = (
        flag[0],
        flag[1],
        flag[5],
        flag[6],
        flag[10],
        flag[11],
    )
    tries = rng.randint(1, 3) if status == "resolved" else rng.choice((0, 0, 1))
    until = resolved or NOW
    contacts = []
    for n in range(tries):
        last = n == tries - 1
        method = (
            rng.choice(CONTACT_METHODS[:4]) if last and outcome else rng.choice(CONTACT_METHODS)
        )
        when = raised + (until - raised) * ((n + 1) / (tries + 1))
        said = outcome if last and method != "no_answer" else None
        contacts.append((bank_id, flag_id, member, broker, method, said, "", when))
    return contacts


def load_outreach(
    conn: psycopg.Connection,
    bank_id: int,
    broker: int,
    members: Sequence[int],
    count: int,
    rng: random.Random,
) -> None:
    """Add `count` outreach flags on different members, and the contacts brokers made."""
    flags = [plan_flag(bank_id, m, broker, rng) for m in rng.sample(members, count)]
    columns = ("bank_id", "member_id", "rule", "reason", "since", "status", "raised_at")
    columns += ("seen_at", "assigned_to_id", "snoozed_until", "outcome", "resolved_at")
    copy_rows(conn, "outreach_flags", (*columns, "resolved_by_id"), flags)
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM outreach_flags WHERE bank_id = %s ORDER BY id", (bank_id,)
        )
    ]
    contacts = (
        contact
        for flag_id, flag in zip(ids, flags, strict=True)
        for contact in plan_contacts(flag_id, flag, broker, rng)
    )
    columns = ("bank_id", "flag_id", "member_id", "broker_id", "method", "outcome", "note")
    copy_rows(conn, "outreach_contacts", (*columns, "created_at"), contacts)


# --- The bank -------------------------------------------------------------------------------


def build_report_bank(url: str, members: int, transfers: int, circle: int = 8) -> int:
    """Create and fill the report bank; return its id."""
    bank_id, broker = create_bank(url, SLUG)
    rng = random.Random(23)
    with raw(url) as conn:
        conn.execute("UPDATE members SET email = %s WHERE id = %s", (BROKER_EMAIL, broker))
        ids = load_members(conn, bank_id, members, rng, "r")
        date_departures(conn, bank_id)
        load_listings(conn, bank_id, ids, members * 3 // 10, members // 10, rng)
        match_requests(conn, bank_id, broker)
        load_referrals(conn, bank_id, broker, max(20, members // 30), rng)
        load_outreach(conn, bank_id, broker, ids, max(10, members // 12), rng)
    with raw(url) as conn:
        load_ledger(conn, bank_id, transfers, circle)
    return bank_id


def counts(url: str, bank_id: int) -> str:
    """Describe how many rows of each kind the bank has."""
    tables = ("members", "transfers", "listings", "proposals", "referrals", "referral_events")
    tables += ("outreach_flags", "outreach_contacts")
    with raw(url) as conn:

        def count(table: str, where: str = "") -> int:
            query = f"SELECT count(*) FROM {table} WHERE bank_id = %s {where}"
            return conn.execute(query, (bank_id,)).fetchone()[0]

        found = [f"{table} {count(table):,}" for table in tables]
        year = count("transfers", f"AND happened_on >= '{YEAR_START}'")
        reversals = count("transfers", "AND code = 'reversal'")
        grouped = count("transfers", "AND group_id IS NOT NULL")
    return (
        ", ".join(found) + f" (transfers in the year {year:,}, in group sessions {grouped:,},"
        f" reversals {reversals:,})"
    )


# --- Measuring ------------------------------------------------------------------------------


class BenchFailed(RuntimeError):
    """The report or its page was wrong: an error status, or figures that do not add up."""


@dataclass
class Statements:
    """How long each SQL statement of a run took, gathered from the engine's events."""

    timings: list[tuple[float, str]] = field(default_factory=list)

    @contextlib.contextmanager
    def watching(self, engine: sa.Engine) -> Iterator[None]:
        """Record every statement run on `engine` while the block runs."""

        def before(conn, _cursor, _statement, _parameters, _context, _many) -> None:
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        def after(conn, _cursor, statement, _parameters, _context, _many) -> None:
            started = conn.info["bench_started"].pop()
            self.timings.append((time.perf_counter() - started, statement))

        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        try:
            yield
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
            sa.event.remove(engine, "after_cursor_execute", after)

    def slowest(self, how_many: int = 6) -> list[str]:
        """Describe the slowest statements, each by its first words."""
        lines = []
        for seconds, statement in sorted(self.timings, reverse=True)[:how_many]:
            words = re.sub(r"\s+", " ", statement).strip()
            lines.append(f"  {seconds * 1000:8.1f} ms  {words[:110]}")
        return lines

    def total(self) -> float:
        """Return the seconds spent waiting on the database."""
        return sum(seconds for seconds, _statement in self.timings)


def builder() -> Callable:
    """Return `build_report` from the reports package."""
    return importlib.import_module("timebank.reports.build").build_report


def sections(report) -> str:
    """Describe a report's sections and how many figures and tables each holds."""
    return ", ".join(
        f"{section.key} ({len(section.figures)} figures, {len(section.tables)} tables)"
        for section in report.sections
    )


def record_new_exchanges(url: str, bank_id: int, how_many: int = NEW_EXCHANGES) -> None:
    """Record `how_many` exchanges of the last week through the ledger's own service."""
    from timebank.errors import TimeBankError
    from timebank.ledger.services import ExchangeRequest, record_exchange
    from timebank.members.models import Member

    rng = random.Random()
    with ledger_session(url) as session:
        query = sa.select(Member.id).where(
            Member.bank_id == bank_id, Member.role == "member", Member.status == "active"
        )
        people = list(session.scalars(query.limit(5000)))
        for _n in range(how_many):
            giver, receiver = rng.sample(people, 2)
            request = ExchangeRequest(
                uuid.uuid4(), bank_id, giver, receiver, rng.choice((30, 60, 90)), receiver,
                happened_on=TODAY - dt.timedelta(days=rng.randrange(7)),
            )  # fmt: skip
            try:
                record_exchange(session, request, now=lambda: NOW)
            except TimeBankError:
                session.rollback()  # a limit reached: that one simply did not happen


def time_build(
    url: str, bank_id: int, runs: int, start: dt.date = YEAR_START, end: dt.date = YEAR_END
) -> tuple[list[float], object, Statements]:
    """Time `build_report` for a period: a warm-up, then `runs` runs in fresh transactions.

    Before each run NEW_EXCHANGES exchanges are recorded (not timed), so each run also
    brings the summaries up to date. Returns the runs' seconds, the last report and the last
    run's statements.
    """
    build = builder()
    timings = []
    statements = Statements()
    with ledger_session(url) as session:
        report = build(session, bank_id, start, end, "broker")
        session.rollback()
        for _run in range(runs):
            record_new_exchanges(url, bank_id)
            statements = Statements()
            with statements.watching(session.get_bind()):
                started = time.perf_counter()
                report = build(session, bank_id, start, end, "broker")
                session.rollback()
                timings.append(time.perf_counter() - started)
    return timings, report, statements


def time_catch_up(url: str, bank_id: int) -> float:
    """Record NEW_EXCHANGES exchanges, then time bringing the summaries up to date."""
    from timebank.reports.summaries import bring_up_to_date

    record_new_exchanges(url, bank_id)
    with ledger_session(url) as session:
        started = time.perf_counter()
        found = bring_up_to_date(session, bank_id)
        seconds = time.perf_counter() - started
    if found is None:
        raise BenchFailed("The summaries could not be brought up to date.")
    say(f"summaries brought up to date with {NEW_EXCHANGES} new exchanges in {seconds:.3f} s")
    return seconds


def time_refresh(url: str, bank_id: int) -> float:
    """Rebuild the bank's report summaries from its ledger; return the seconds it took."""
    from timebank.reports.summaries import refresh_summaries

    statements = Statements()
    with ledger_session(url) as session, statements.watching(session.get_bind()):
        started = time.perf_counter()
        refresh_summaries(session, bank_id)
        seconds = time.perf_counter() - started
    say(f"summaries rebuilt in {seconds:.2f} s; the slowest statements:")
    for line in statements.slowest(4):
        say(line)
    return seconds


def counted_exchanges(url: str, bank_id: int, start: dt.date, end: dt.date) -> int:
    """Count the period's exchanges by the definition, straight from the transfers."""
    with raw(url) as conn:
        return conn.execute(
            """SELECT count(DISTINCT coalesce(group_id, id)) FROM transfers AS t
               WHERE bank_id = %s AND code IN ('exchange', 'group')
                 AND phase IN ('posted', 'post_pending') AND happened_on BETWEEN %s AND %s
                 AND NOT EXISTS (SELECT 1 FROM transfers AS r WHERE r.reverses_id = t.id)""",
            (bank_id, start, end),
        ).fetchone()[0]


def headline_figures(report) -> list:
    """Return the report's headline figures that hold a number."""
    return [
        figure
        for section in report.sections
        for figure in section.figures
        if isinstance(figure.value, int | float) and not isinstance(figure.value, bool)
    ]


def check_report(
    url: str, bank_id: int, report, start: dt.date = YEAR_START, end: dt.date = YEAR_END
) -> None:
    """Fail unless the report counts the period's exchanges as the transfers say."""
    expected = counted_exchanges(url, bank_id, start, end)
    found = {figure.key: figure.value for figure in headline_figures(report)}
    if "exchanges" not in found:
        say(f"  note: the report has no 'exchanges' figure to check against {expected:,}")
    elif found["exchanges"] != expected:
        raise BenchFailed(f"The report counts {found['exchanges']} exchanges, not {expected}.")
    else:
        say(f"  checked: the report counts {expected:,} exchanges, as the transfers do")


@contextlib.contextmanager
def broker_client(url: str, bank_id: int) -> Iterator:
    """Yield a test client with the bank's broker signed in through the sign-in page."""
    from timebank import create_app
    from timebank.extensions import db
    from timebank.members.models import Member
    from timebank.members.signin import set_password

    app = create_app("testing", {"DATABASE_URL": url})
    with app.app_context():
        broker = db.session.scalar(sa.select(Member).filter_by(bank_id=bank_id, role="broker"))
        set_password(db.session, bank_id, broker.id, BROKER_PASSWORD)
        db.session.remove()
    client = app.test_client()
    answer = client.post(
        "/sign-in", data={"bank": SLUG, "identifier": BROKER_EMAIL, "password": BROKER_PASSWORD}
    )
    if answer.status_code != 302:
        raise BenchFailed(f"The broker could not sign in: {answer.status_code}")
    try:
        yield client
    finally:
        with app.app_context():
            db.engine.dispose()


def page_shows(html: str, report) -> None:
    """Fail unless the page shows the report's headline numbers as the page formats them."""
    from timebank.reports.formatting import format_value

    figures = [figure for figure in headline_figures(report) if figure.value]
    missing = [f.key for f in figures if format_value(f.value, f.kind) not in html]
    if not figures or missing:
        raise BenchFailed(f"The page does not show these figures: {missing or 'none at all'}")


@contextlib.contextmanager
def timing_builder(spent: list[float]) -> Iterator[None]:
    """Time each `build_report` call the page makes, adding its seconds to `spent`.

    The page builds the period's report and the previous period's (for the summary), both
    through `timebank.reports.summary`, which holds its own name for `build_report`.
    """
    modules = [importlib.import_module(name) for name in BUILDERS]
    original = modules[0].build_report

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    for module in modules:
        module.build_report = timed
    try:
        yield
    finally:
        for module in modules:
            module.build_report = original


def time_page(
    url: str,
    bank_id: int,
    runs: int,
    report,
    start: dt.date = YEAR_START,
    end: dt.date = YEAR_END,
) -> list[float]:
    """Time GET /reports for a period as a signed-in broker: a warm-up, then `runs` runs.

    NEW_EXCHANGES exchanges are recorded before each run (not timed), so each page also
    brings the summaries up to date. Each run also says how much of it went on
    `build_report` inside the request, so the cost of the page itself (the view, the charts,
    the template) shows apart. The last run's page must show `report`'s headline figures.
    """
    path = f"/reports?from={start.isoformat()}&to={end.isoformat()}"
    timings = []
    with broker_client(url, bank_id) as client:
        for run in range(runs + 1):
            if run:
                record_new_exchanges(url, bank_id)
            spent: list[float] = []
            with timing_builder(spent):
                started = time.perf_counter()
                answer = client.get(path)
                html = answer.get_data(as_text=True)
                seconds = time.perf_counter() - started
            if answer.status_code != 200:
                raise BenchFailed(f"GET {path} answered {answer.status_code}: {html[:300]}")
            if run:  # the first is the warm-up
                timings.append(seconds)
                say(
                    f"page {start} to {end}, run {run}: {seconds:.2f} s"
                    f" ({len(html) / 1024:.0f} KiB of HTML; build_report {sum(spent):.2f} s"
                    f" of it, the rest {seconds - sum(spent):.2f} s)"
                )
    shows_exchanges(url, bank_id, html, start, end)
    return timings


def shows_exchanges(url: str, bank_id: int, html: str, start: dt.date, end: dt.date) -> None:
    """Fail unless the page shows the period's exchanges as the transfers count them now."""
    from timebank.reports.formatting import format_value

    expected = format_value(counted_exchanges(url, bank_id, start, end), "count")
    if expected not in html:
        raise BenchFailed(f"The page for {start} to {end} does not show {expected} exchanges.")
    say(f"  checked: the page shows {expected} exchanges, as the transfers count them now")


# --- The run ---------------------------------------------------------------------------------


def measure(url: str, sizes: Sizes) -> dict[str, float]:
    """Build the bank (unless reused), time the reports and their pages; return the medians."""
    started = time.perf_counter()
    if sizes.reuse:
        bank_id = kept_bank(url, SLUG)
    else:
        bank_id = build_report_bank(url, sizes.members, sizes.transfers, sizes.circle)
        analyze(url)
    say(f"report bank: {counts(url, bank_id)} ({time.perf_counter() - started:.0f} s)")
    say(f"year: {YEAR_START} to {YEAR_END}")
    if not sizes.summaries_as_kept:
        say(f"report_refresh_s={time_refresh(url, bank_id):.2f}")
    say(f"report_catch_up_s={time_catch_up(url, bank_id):.3f}")
    results: dict[str, float] = {}
    for key, start, end in PERIODS:
        builds, report, statements = time_build(url, bank_id, sizes.runs, start, end)
        for run, seconds in enumerate(builds, 1):
            say(f"build_report {start} to {end}, run {run}: {seconds:.2f} s")
        say(f"  sections: {sections(report)}")
        say("  figures: " + ", ".join(f"{f.key} {f.value:,}" for f in headline_figures(report)))
        say(
            f"  last run: {len(statements.timings)} statements,"
            f" {statements.total():.2f} s of them waiting on PostgreSQL; the slowest:"
        )
        for line in statements.slowest(8):
            say(line)
        check_report(url, bank_id, report, start, end)
        build_key = f"{key[:-2]}_build_s" if key != "report_year_s" else "report_build_s"
        say(f"{build_key}={statistics.median(builds):.2f}")
        if not sizes.only_build_report:
            results[key] = statistics.median(
                time_page(url, bank_id, sizes.runs, report, start, end)
            )
    return results


def load_average() -> str:
    """Describe how busy the machine is: the load average over 1, 5 and 15 minutes."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f}, {five:.1f}, {fifteen:.1f} (cores: {os.cpu_count()})"


def database_url(sizes: Sizes) -> str:
    """Return the kept database's URL, or create a new database and return its URL."""
    if sizes.reuse:
        url = sa.make_url(postgres_admin_url()).set(database=sizes.reuse)
        return url.render_as_string(hide_password=False)
    return create_postgres_database("timebank_report_bench")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the report benchmark and print `report_year_s=` last."""
    sizes = parse_args(argv)
    url = database_url(sizes)
    try:
        # A kept database is brought up to the newest migration too (the summaries' tables).
        migrate(url)
        say(describe_machine(url))
        say(f"before: {load_average()}")
        pages = measure(url, sizes)
        say(f"after: {load_average()}")
    finally:
        name = sa.make_url(url).database
        if sizes.reuse:
            pass  # the caller named it, and it stays
        elif sizes.keep:
            say(f"kept database {name}; measure it again without building:")
            say(f"  python -m tests.perf.bench_report --reuse {name}")
            say(f"  (drop it when done: psql -c 'DROP DATABASE \"{name}\"')")
        else:
            drop_postgres_database(url)
    for key, seconds in pages.items():
        if seconds > TARGET_S:
            say(f"note: {key} {seconds:.2f} s is over the {TARGET_S:.0f} s target")
    for key, seconds in pages.items():
        say(f"{key}={seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
