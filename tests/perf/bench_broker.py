"""`make bench`, the broker's part: suggested helpers and the dormancy scan at full size.

Builds two time banks in a PostgreSQL database of its own (dropped at the end, unless kept):

- a matching bank: 10,000 members, 100,000 offers, 2,200 requests, proposals, checks,
  blocks, opt-outs and 50,000 exchanges (so "has met" means something);
- a dormancy bank: 100,000 members, 5,000,000 transfers (exchanges, group exchanges,
  donations, pending exchanges and their confirmations), 30,000 offers and answers to them.

Then it times `suggest_helpers` (a real session, end to end, a transaction per call) for 200
requests across every category and prints `match_p95_ms=`, and times the full `scan_dormant`
over the dormancy bank and prints `dormancy_scan_s=` and `dormancy_scan_peak_mb=` (the peak
resident memory of this process during the scan, read from the kernel's high-water mark,
which is reset just before). Row counts are printed so the figures can be checked.

Usage: python -m tests.perf.bench_broker [--members N] [--offers N] [--scan-members N]
       [--transfers N] [--requests N] [--keep | --reuse NAME]

Building the banks takes minutes (most of it the dormancy bank's 5,000,000 transfers), so
`--keep` leaves the database in place after the run and prints its name, and `--reuse NAME`
measures the banks already in that database without building anything (and keeps it too).
`make bench` passes neither: it builds, measures and drops.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
import sqlalchemy.orm as so

from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    migrate,
    postgres_admin_url,
)
from tests.perf.bench_ledger import describe_machine, say
from tests.perf.ledger_load import ledger_session
from timebank.ledger.models import RESOLVED_TRADE

TODAY = dt.date(2026, 11, 2)
NOW = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
AREAS = tuple(
    "Catford Lewisham Penge Brockley Deptford Sydenham Forest-Hill Lee Eltham Grove-Park "
    "Hither-Green Ladywell Blackheath Greenwich Charlton Woolwich Plumstead Bellingham "
    "Downham Beckenham Bromley Crofton-Park Honor-Oak New-Cross".replace("-", " ").split(" ")
)
VOCABULARY = {
    "Practical help": "shelves curtains flatpack furniture bulbs repairs tools drill",
    "Gardening": "weeding hedges lawn mowing pruning borders compost seedlings",
    "Befriending and conversation": "chat tea company visits stories walks friendly phone",
    "Transport and lifts": "lifts car hospital clinic appointments driving station airport",
    "Shopping and errands": "shopping groceries pharmacy prescriptions errands post parcels",
    "IT help": "laptop printer email smartphone wifi passwords tablet video",
    "Teaching and languages": "english french maths homework reading tutoring spanish guitar",
    "Admin and forms": "forms letters benefits council paperwork bills applications",
    "Creative and crafts": "knitting sewing painting alterations cards crafts photos",
    "Cooking and meals": "meals cooking baking soup batch recipes dinner lunch",
    "Care and wellbeing": "care sitting respite personal bathing wellbeing massage support",
    "Pets": "dog walking cat feeding pets sitting rabbits fish",
    "Other": "anything odd jobs help errands small tasks general",
}
COMMON = "happy help small local weekly evenings mornings weekends experienced friendly".split()
CATEGORIES = tuple(VOCABULARY)
AVAILABILITY = ("Tuesday mornings", "Weekends", "Weekday evenings", "", "Mon and Wed afternoons")


@dataclass(frozen=True)
class Sizes:
    """How big each bank is."""

    members: int
    offers: int
    requests: int
    scan_members: int
    transfers: int
    keep: bool = False
    reuse: str | None = None


def parse_args(argv: Sequence[str] | None) -> Sizes:
    """Read the command line (defaults: the sizes the issue names)."""
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_broker")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests timed")
    parser.add_argument("--scan-members", type=int, default=100_000)
    parser.add_argument("--transfers", type=int, default=5_000_000)
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument("--keep", action="store_true", help="keep the database after the run")
    kept.add_argument("--reuse", metavar="NAME", help="measure a kept database, build nothing")
    args = parser.parse_args(argv)
    return Sizes(
        args.members,
        args.offers,
        args.requests,
        args.scan_members,
        args.transfers,
        keep=args.keep or args.reuse is not None,
        reuse=args.reuse,
    )


# --- Loading ---------------------------------------------------------------------------------


@contextlib.contextmanager
def raw(url: str) -> Iterator[psycopg.Connection]:
    """Yield a plain psycopg connection to the database, committed on success."""
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        yield conn


def create_bank(url: str, slug: str) -> tuple[int, int]:
    """Create a time bank and its broker through the services; return both ids."""
    from timebank.membership.banks import create_time_bank
    from timebank.membership.services import add_member

    with ledger_session(url) as session:
        bank = create_time_bank(session, f"Bench {slug}", slug, overdraft_minutes=-600)
        broker = add_member(session, bank.id, "Brenda Broker", role="broker", area="Catford")
        return bank.id, broker.id


def copy_rows(conn: psycopg.Connection, table: str, columns: Sequence[str], rows) -> None:
    """COPY rows into a table."""
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_members(
    conn: psycopg.Connection, bank_id: int, count: int, rng: random.Random, prefix: str
) -> list[int]:
    """Add `count` members with accounts at zero; return their ids in order."""
    joined = NOW - dt.timedelta(days=1200)
    rows = (
        (
            bank_id,
            f"{rng.choice(('Ann', 'Bo', 'Cy', 'Dee', 'Eli', 'Fay'))} {prefix}{n}",
            f"+447{7_000_000_00 + n if prefix == 'm' else 8_000_000_00 + n}",
            rng.choices(("active", "applicant", "suspended", "left"), (92, 3, 2, 3))[0],
            "member",
            rng.choice(AREAS),
            joined + dt.timedelta(days=rng.randint(0, 1190), hours=rng.randint(0, 23)),
            rng.choice(AVAILABILITY),
            rng.random() < 0.01,
        )
        for n in range(count)
    )
    columns = ("bank_id", "display_name", "mobile_e164", "status", "role", "area", "joined_at")
    copy_rows(conn, "members", (*columns, "availability", "do_not_contact"), rows)
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM members WHERE bank_id = %s AND role = 'member' ORDER BY id", (bank_id,)
        )
    ]
    conn.execute(
        """INSERT INTO accounts (bank_id, member_id, is_open, min_balance, debits_posted,
               credits_posted, debits_pending, credits_pending, opened_at)
           SELECT bank_id, id, status = 'active', -600, 0, 0, 0, 0, joined_at
           FROM members WHERE bank_id = %s AND role = 'member'""",
        (bank_id,),
    )
    return ids


def offer_text(rng: random.Random, category: str) -> tuple[str, str]:
    """Return a title and a description in the words of a category."""
    words = VOCABULARY[category].split()
    title = " ".join(rng.sample(words, 2)).capitalize()
    description = " ".join(rng.sample(words, 3) + rng.sample(COMMON, 4))
    return title, description


def random_mask(rng: random.Random) -> int:
    """Return a slots mask of a few times of the week, or 0 (not said) one time in ten."""
    if rng.random() < 0.1:
        return 0
    return sum({1 << rng.randrange(21) for _ in range(rng.randint(2, 8))})


def load_listings(
    conn: psycopg.Connection,
    bank_id: int,
    members: Sequence[int],
    offers: int,
    requests: int,
    rng: random.Random,
) -> None:
    """Add offers spread over members (each keeps to two categories) and requests."""
    areas = dict(conn.execute("SELECT id, area FROM members WHERE bank_id = %s", (bank_id,)))
    created = NOW - dt.timedelta(days=400)

    def listing(kind: str, member: int, category: str) -> tuple:
        title, description = offer_text(rng, category)
        return (
            bank_id,
            member,
            kind,
            category,
            title,
            description,
            rng.choice(AVAILABILITY),
            areas[member] or "",
            random_mask(rng),
            rng.choice(("own_area", "nearby", "nearby", "anywhere")),
            kind == "request" and rng.random() < 0.05,
            rng.choices(("open", "closed"), (9, 1))[0] if kind == "offer" else "open",
            created + dt.timedelta(days=rng.randint(0, 395)),
            created,
        )

    def main_categories(member: int) -> tuple[str, str]:
        return CATEGORIES[member * 7 % 13], CATEGORIES[(member * 11 + 3) % 13]

    rows = [
        listing("offer", member, rng.choices(main_categories(member), (7, 3))[0])
        for member in (rng.choice(members) for _ in range(offers))
    ]
    rows += [
        listing("request", rng.choice(members), CATEGORIES[n % len(CATEGORIES)])
        for n in range(requests)
    ]
    columns = ("bank_id", "member_id", "kind", "skill_category", "title", "description")
    columns += ("availability", "area", "slots", "travel", "needs_check", "status")
    copy_rows(conn, "listings", (*columns, "created_at", "updated_at"), rows)


def load_matching_extras(
    conn: psycopg.Connection, bank_id: int, broker: int, members: Sequence[int], rng: random.Random
) -> None:
    """Add proposals, checks, blocks, opt-outs and exchanges between members."""
    requests = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM listings WHERE bank_id = %s AND kind = 'request'", (bank_id,)
        )
    ]
    pairs = {(rng.choice(requests), rng.choice(members)) for _ in range(len(members) * 3)}
    proposals = []
    for request, helper in sorted(pairs):
        status = rng.choices(("sent", "accepted", "declined", "withdrawn"), (4, 3, 2, 1))[0]
        sent = NOW - dt.timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 23))
        answered = sent + dt.timedelta(days=1) if status in ("accepted", "declined") else None
        proposals.append(
            (bank_id, request, helper, broker, "web", status, sent, answered, sent, "", "", "")
        )
    columns = ("bank_id", "request_id", "helper_id", "proposed_by_id", "channel", "status")
    columns += ("created_at", "answered_at", "updated_at", "why", "message", "meeting_place")
    copy_rows(conn, "proposals", columns, proposals)
    checks = [
        (bank_id, member, "dbs", TODAY - dt.timedelta(days=400), expiry, broker, "", NOW)
        for member in rng.sample(members, len(members) * 15 // 100)
        for expiry in [rng.choice((None, TODAY + dt.timedelta(days=300), TODAY - dt.timedelta(1)))]
    ]
    columns = ("bank_id", "member_id", "kind", "checked_on", "expires_on", "recorded_by_id")
    copy_rows(conn, "member_checks", (*columns, "reference", "recorded_at"), checks)
    blocks = {tuple(rng.sample(members, 2)) for _ in range(len(members) // 5)}
    copy_rows(
        conn,
        "member_blocks",
        ("bank_id", "member_id", "blocked_member_id", "recorded_by_id", "reason", "created_at"),
        ((bank_id, a, b, broker, "", NOW) for a, b in sorted(blocks)),
    )
    conn.execute(
        """INSERT INTO sms_opt_outs (bank_id, e164, opted_out, changed_at)
           SELECT bank_id, mobile_e164, true, now() FROM members
           WHERE bank_id = %s AND role = 'member' AND id %% 50 = 0""",
        (bank_id,),
    )
    load_transfers(conn, bank_id, len(members) * 5, id_base=0, spread_days=365)


def load_transfers(
    conn: psycopg.Connection,
    bank_id: int,
    count: int,
    id_base: int,
    spread_days: int,
    rebuild_indexes: bool = False,
    categories: Sequence[str] = (),
    circles: int = 0,
) -> None:
    """Add `count` transfers between the bank's member accounts, then set the counters.

    Accounts are numbered consecutively, so pairs are picked by arithmetic. The last tenth of
    the members never trade. Most transfers are exchanges; some are group exchanges and
    donations; 1 % are pending exchanges, four in five of them confirmed by a post_pending.
    Foreign-key triggers are off for the load (every row is valid by construction). With
    `rebuild_indexes`, the transfers' indexes (all but the primary key) are dropped before
    and built again after, which is several times faster for millions of rows. With
    `categories`, each transfer names one of them (the first ones most often); without, none.
    With `circles`, each member is helped only by the 1 to `circles` members after them (how
    many depends on the member), so people trade within a circle as in a real time bank;
    without, by anyone.
    """
    indexes = []
    if rebuild_indexes:
        indexes = conn.execute(
            """SELECT indexname, indexdef FROM pg_indexes
               WHERE tablename = 'transfers' AND indexname <> 'pk_transfers'"""
        ).fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    first, accounts = conn.execute(
        "SELECT min(id), count(*) FROM accounts WHERE bank_id = %s AND member_id IS NOT NULL",
        (bank_id,),
    ).fetchone()
    traders = max(2, accounts * 9 // 10)
    conn.execute("SET LOCAL session_replication_role = replica")
    conn.execute("SELECT setseed(0.42)")
    pending = count // 100
    conn.execute(
        """INSERT INTO transfers (id, bank_id, debit_account_id, credit_account_id, amount, code,
               phase, description, skill_category, happened_on, recorded_at, request_digest)
           SELECT lpad(to_hex(%(base)s + g), 32, '0')::uuid, %(bank)s,
                  %(first)s + d,
                  -- c is below traders - 1, so without circles the helper is the one drawn
                  %(first)s + (d + 1 + c %% CASE WHEN %(circles)s > 0 THEN 1 + d %% %(circles)s
                                               ELSE %(traders)s - 1 END) %% %(traders)s,
                  30 * (1 + (g %% 8)),
                  CASE WHEN g %% 50 = 0 THEN 'group' WHEN g %% 97 = 0 THEN 'donation'
                       ELSE 'exchange' END,
                  CASE WHEN g <= %(pending)s THEN 'pending' ELSE 'posted' END,
                  '', (%(categories)s::text[])[
                      -- from values already drawn, so the random numbers stay the same
                      1 + floor(%(kinds)s * ((d * 7 + g %% 4) %% 997 / 997.0) ^ 2)::int],
                  day, day + time '12:00', 'bench'
           FROM (SELECT g, floor(random() * %(traders)s)::int AS d,
                        floor(random() * (%(traders)s - 1))::int AS c,
                        %(today)s::date - floor(random() ^ 2 * %(spread)s)::int AS day
                 FROM generate_series(1, %(count)s) AS g) AS picked""",
        {
            "base": id_base,
            "bank": bank_id,
            "first": first,
            "traders": traders,
            "pending": pending,
            "today": TODAY,
            "spread": spread_days,
            "count": count - pending * 4 // 5,
            "categories": list(categories),
            "kinds": max(1, len(categories)),
            "circles": min(circles, traders - 1),
        },
    )
    conn.execute(
        """INSERT INTO transfers (id, bank_id, debit_account_id, credit_account_id, amount, code,
               phase, pending_id, description, skill_category, happened_on, recorded_at,
               request_digest)
           SELECT lpad(to_hex(%(base)s + 500000000 + g), 32, '0')::uuid, bank_id,
                  debit_account_id, credit_account_id, amount, code, 'post_pending', id, '',
                  skill_category, happened_on, recorded_at + interval '1 day', 'bench'
           FROM transfers, generate_series(1, %(confirmed)s) AS g
           WHERE id = lpad(to_hex(%(base)s + g), 32, '0')::uuid""",
        {"base": id_base, "confirmed": pending * 4 // 5},
    )
    conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in indexes:
        conn.execute(definition)
    set_counters(conn, bank_id)


def set_counters(conn: psycopg.Connection, bank_id: int) -> None:
    """Set each account's counters and trades from its transfers, as posting would have.

    Each limit is set at or below the balance (some members sit within an hour of it), so the
    accounts satisfy their overdraft check.
    """
    conn.execute("SET LOCAL work_mem = '256MB'")  # sums for 100,000 accounts, in memory
    conn.execute(
        """WITH unresolved AS (
               SELECT credit_account_id, debit_account_id, amount, phase FROM transfers AS t
               WHERE bank_id = %(bank)s AND phase IN ('posted', 'post_pending', 'pending')
                 AND NOT (phase = 'pending' AND EXISTS (
                     SELECT 1 FROM transfers AS r WHERE r.pending_id = t.id))),
           moved AS (
               SELECT account, sum(credit) AS credits, sum(debit) AS debits,
                      sum(credit_held) AS credits_held, sum(debit_held) AS debits_held
               FROM (SELECT credit_account_id AS account,
                            CASE WHEN phase <> 'pending' THEN amount ELSE 0 END AS credit,
                            0 AS debit,
                            CASE WHEN phase = 'pending' THEN amount ELSE 0 END AS credit_held,
                            0 AS debit_held
                     FROM unresolved
                     UNION ALL
                     SELECT debit_account_id, 0,
                            CASE WHEN phase <> 'pending' THEN amount ELSE 0 END,
                            0, CASE WHEN phase = 'pending' THEN amount ELSE 0 END
                     FROM unresolved) AS sides
               GROUP BY account)
           UPDATE accounts SET credits_posted = moved.credits, debits_posted = moved.debits,
               credits_pending = moved.credits_held, debits_pending = moved.debits_held,
               min_balance = least(-600, moved.credits - moved.debits - moved.debits_held
                                         - 30 * (accounts.id %% 3))
           FROM moved WHERE accounts.id = moved.account AND accounts.bank_id = %(bank)s""",
        {"bank": bank_id},
    )
    # And each account's trades on each side, as posting keeps them. Summed into a table of
    # their own first, with statistics: the freshly loaded transfers have none yet, and
    # without them PostgreSQL joined the sums to the accounts in a plan that ran for minutes.
    conn.execute("DROP TABLE IF EXISTS bench_trades")
    conn.execute(
        f"""CREATE TEMPORARY TABLE bench_trades AS
           SELECT account, side, count(*) AS trades, min(happened_on) AS first,
                  max(happened_on) AS last
           FROM (SELECT credit_account_id AS account, 'given' AS side, happened_on
                 FROM transfers WHERE bank_id = %(bank)s AND {RESOLVED_TRADE}
                 UNION ALL
                 SELECT debit_account_id, 'received', happened_on
                 FROM transfers WHERE bank_id = %(bank)s AND {RESOLVED_TRADE}) AS sides
           GROUP BY account, side""",
        {"bank": bank_id},
    )
    conn.execute("ANALYZE bench_trades")
    for side in ("given", "received"):
        conn.execute(
            f"""UPDATE accounts SET trades_{side} = sums.trades, first_{side}_on = sums.first,
                   last_{side}_on = sums.last
               FROM bench_trades AS sums
               WHERE sums.side = '{side}' AND accounts.id = sums.account
                 AND accounts.bank_id = %(bank)s""",
            {"bank": bank_id},
        )


def load_offer_answers(
    conn: psycopg.Connection, bank_id: int, members: Sequence[int], rng: random.Random
) -> None:
    """Add open offers to the dormancy bank, a third of them answered by another member."""
    load_listings(conn, bank_id, members, len(members) * 3 // 10, 0, rng)
    conn.execute(
        """INSERT INTO listing_contacts (bank_id, listing_id, from_member_id, to_member_id,
               message, created_at)
           SELECT l.bank_id, l.id, m.id, l.member_id, '', l.created_at + interval '2 days'
           FROM listings AS l
           JOIN members AS m ON m.bank_id = l.bank_id AND m.id = (
               SELECT min(id) FROM members WHERE bank_id = l.bank_id AND role = 'member')
           WHERE l.bank_id = %s AND l.id %% 3 = 0 AND l.member_id <> m.id""",
        (bank_id,),
    )


def counts(url: str, bank_id: int) -> str:
    """Describe how many rows of each kind a bank has."""
    tables = ("members", "listings", "proposals", "member_checks", "member_blocks", "transfers")
    with raw(url) as conn:

        def count(table: str, where: str = "") -> int:
            query = f"SELECT count(*) FROM {table} WHERE bank_id = %s {where}"
            return conn.execute(query, (bank_id,)).fetchone()[0]

        found = [f"{table} {count(table):,}" for table in tables]
        offers = count("listings", "AND kind = 'offer'")
    return ", ".join(found) + f" (of which offers {offers:,})"


def analyze(url: str) -> None:
    """VACUUM ANALYZE the database: statistics and visibility maps, as after a bulk load."""
    engine = sa.create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


# --- Matching -------------------------------------------------------------------------------


def build_matching_bank(url: str, members: int, offers: int, requests: int) -> int:
    """Create and fill the matching bank; return its id."""
    bank_id, broker = create_bank(url, "match")
    rng = random.Random(7)
    with raw(url) as conn:
        ids = load_members(conn, bank_id, members, rng, "m")
        # Proposals hang on ten times as many requests as are timed.
        load_listings(conn, bank_id, ids, offers, max(requests * 11, 100), rng)
        load_matching_extras(conn, bank_id, broker, ids, rng)
    return bank_id


def request_ids(url: str, bank_id: int, how_many: int) -> list[int]:
    """Return open requests to time, spread over every category."""
    with raw(url) as conn:
        rows = conn.execute(
            """SELECT id FROM listings WHERE bank_id = %s AND kind = 'request'
               ORDER BY id LIMIT %s""",
            (bank_id, how_many),
        )
        return [row[0] for row in rows]


def time_matching(url: str, bank_id: int, requests: Sequence[int]) -> list[float]:
    """Time `suggest_helpers` for each request, in milliseconds, after a short warm-up."""
    from timebank.broker.candidates import suggest_helpers

    timings = []
    with ledger_session(url) as session:
        for request in requests[:20]:  # warm-up: connections and statement caches
            suggest_helpers(session, bank_id, request, now=lambda: NOW)
            session.rollback()
        for request in requests:
            started = time.perf_counter()
            suggest_helpers(session, bank_id, request, now=lambda: NOW)
            session.rollback()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def check_against_reference(url: str, bank_id: int, requests: Sequence[int]) -> int:
    """Return on how many requests the fast list equals ranking everyone read in full."""
    from timebank.broker.candidates import reference_suggestions, suggest_helpers

    same = 0
    with ledger_session(url) as session:
        for request in requests:
            fast = suggest_helpers(session, bank_id, request, now=lambda: NOW)
            full = reference_suggestions(session, bank_id, request, now=lambda: NOW)
            same += fast == full
            session.rollback()
    return same


def p95(timings: Sequence[float]) -> float:
    """Return the 95th percentile by the nearest-rank rule."""
    ordered = sorted(timings)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- Dormancy -------------------------------------------------------------------------------


def build_dormancy_bank(url: str, members: int, transfers: int) -> int:
    """Create and fill the dormancy bank; return its id."""
    bank_id, _broker = create_bank(url, "quiet")
    rng = random.Random(11)
    with raw(url) as conn:
        ids = load_members(conn, bank_id, members, rng, "q")
        load_offer_answers(conn, bank_id, ids, rng)
    with raw(url) as conn:
        load_transfers(
            conn, bank_id, transfers, id_base=10**12, spread_days=1100, rebuild_indexes=True
        )
    return bank_id


@dataclass(frozen=True)
class ScanRun:
    """One full scan: how long, how many flags, memory, and whether the cursor was the server's."""

    seconds: float
    flags: int
    peak_mb: float
    growth_mb: float
    server_cursor: bool


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    """Reset the kernel's high-water mark of this process's resident memory (VmHWM)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def time_scan(session: so.Session, bank_id: int) -> ScanRun:
    """Run the whole dormancy scan once, counting flags, and measure it."""
    from timebank.broker.dormancy import DormancySettings
    from timebank.broker.scan import scan_dormant

    session.rollback()
    _reset_peak()
    baseline = _status_mb("VmRSS")
    server_cursor = False
    flags = 0
    started = time.perf_counter()
    for _flag in scan_dormant(session, bank_id, TODAY, DormancySettings()):
        if flags == 0:  # while the scan's rows are still being read
            server_cursor = bool(session.scalar(sa.text("SELECT count(*) FROM pg_cursors")))
        flags += 1
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")
    session.rollback()
    return ScanRun(seconds, flags, peak, max(0.0, peak - baseline), server_cursor)


# --- The run ---------------------------------------------------------------------------------


def kept_bank(url: str, slug: str) -> int:
    """Return the id of a bank this benchmark built earlier in a kept database."""
    with raw(url) as conn:
        found = conn.execute("SELECT id FROM time_banks WHERE slug = %s", (slug,)).fetchone()
    if found is None:
        raise SystemExit(f"{sa.make_url(url).database} has no bank {slug!r}: not a kept bench")
    return found[0]


def measure(url: str, sizes: Sizes) -> tuple[float, ScanRun]:
    """Build both banks (unless reused), time matching and the scan; return p95, median scan."""
    started = time.perf_counter()
    if sizes.reuse:
        match_bank = kept_bank(url, "match")
    else:
        match_bank = build_matching_bank(url, sizes.members, sizes.offers, sizes.requests)
        analyze(url)
    say(f"matching bank: {counts(url, match_bank)} ({time.perf_counter() - started:.0f} s)")
    requests = request_ids(url, match_bank, sizes.requests)
    timings = time_matching(url, match_bank, requests)
    say(
        f"suggest_helpers top 10: {len(timings)} requests, median {statistics.median(timings):.1f}"
        f" ms, p95 {p95(timings):.1f} ms, max {max(timings):.1f} ms"
    )
    checked = requests[:: max(1, len(requests) // 5)][:5]
    same = check_against_reference(url, match_bank, checked)
    say(f"  equal to ranking every member read in full: {same} of {len(checked)} requests")
    started = time.perf_counter()
    if sizes.reuse:
        scan_bank = kept_bank(url, "quiet")
    else:
        scan_bank = build_dormancy_bank(url, sizes.scan_members, sizes.transfers)
        analyze(url)
    say(f"dormancy bank: {counts(url, scan_bank)} ({time.perf_counter() - started:.0f} s)")
    runs = []
    with ledger_session(url) as session:
        for n in range(1, 4):
            run = time_scan(session, scan_bank)
            runs.append(run)
            say(
                f"scan {n}: {run.seconds:.2f} s, {run.flags:,} flags, peak RSS {run.peak_mb:.0f} MB"
                f" (+{run.growth_mb:.0f} MB over the {run.peak_mb - run.growth_mb:.0f} MB before"
                f" it), server-side cursor {'yes' if run.server_cursor else 'NO'}"
            )
    median = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return p95(timings), median


def main(argv: Sequence[str] | None = None) -> int:
    """Run the broker benchmark and print its three figures last."""
    sizes = parse_args(argv)
    if sizes.reuse:
        url = sa.make_url(postgres_admin_url()).set(database=sizes.reuse)
        url = url.render_as_string(hide_password=False)
    else:
        url = create_postgres_database("timebank_broker_bench")
    try:
        if not sizes.reuse:
            migrate(url)
        say(describe_machine(url))
        match_p95, scan = measure(url, sizes)
    finally:
        name = sa.make_url(url).database
        if sizes.reuse:
            pass  # the caller named it, and it stays
        elif sizes.keep:
            say(f"kept database {name}; measure it again without building:")
            say(f"  python -m tests.perf.bench_broker --reuse {name}")
            say(f"  (drop it when done: psql -c 'DROP DATABASE \"{name}\"')")
        else:
            drop_postgres_database(url)
    say(f"match_p95_ms={match_p95:.1f}")
    say(f"dormancy_scan_s={scan.seconds:.2f}")
    say(f"dormancy_scan_peak_mb={scan.peak_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
