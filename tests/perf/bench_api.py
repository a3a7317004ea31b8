"""`make bench`, the API's part: creating transfers over HTTP through gunicorn on PostgreSQL.

Creates a database of its own (dropped at the end, even after a failure), migrates it, and
seeds a time bank of 1,000 members and one broker with a broker API token. A transfer that
a broker records for two other members posts at once, and the bank's overdraft is deep, so
no transfer waits as pending or is refused. gunicorn serves the app with the production
settings on 127.0.0.1 and a free port. Eight keep-alive clients (threads in this process)
POST /api/v1/transfers back to back: a warm-up, then the measured window. pgbench's
tpcb-like script runs with the same number of clients just before and just after, and the
API's rate is compared with their mean.

Afterwards it reads each gunicorn worker's resident memory, checks that the database gained
exactly as many transfers as there were 201 answers, and that the ledger verifies. Any
answer other than 201 fails the run. The last lines are `api_tps=`, `pgbench_tps=`,
`api_vs_pgbench=`, `api_p50_ms=`, `api_p99_ms=` and `api_worker_rss_mb=`.

Usage: python -m tests.perf.bench_api [--quick] [--seconds N] [--clients N] [--workers N]
       [--worker-class sync|gthread] [--threads N] [--app MODULE:APP]
       [--rate-limit-storage URI]

`--app tests.perf.floor_app:app` serves a plain Flask app that does the same ledger work
with no extensions or hooks: the least CPU per transfer Flask can give on this machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tests.databases import create_postgres_database, drop_postgres_database, migrate
from tests.perf import api_load, ledger_load
from tests.perf.api_load import LoadFailed, Outcome, ServerSettings
from tests.perf.bench_ledger import describe_machine, say
from tests.perf.pgbench import init_pgbench, run_tpcb_like

TRANSFERS_PATH = "/api/v1/transfers"
CATEGORIES = ("Practical help", "Gardening", "IT help", "Shopping and errands", "Pets")
MINUTES = tuple(range(15, 181, 15))


class BenchFailed(RuntimeError):
    """A check failed: an answer was not 201, the counts disagree or the ledger is wrong."""


@dataclass(frozen=True)
class Settings:
    """How long and how wide to measure, and how gunicorn runs."""

    seconds: int
    warmup: int
    clients: int
    members: int
    server: ServerSettings
    app: str
    rate_limit_storage: str = "memory://"
    pgbench_threads: int = 2


@dataclass(frozen=True)
class ApiBank:
    """A seeded bank to post in over the API: its members, its broker and their token."""

    url: str
    bank_id: int
    broker_id: int
    token: str
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class Figures:
    """What one run measured."""

    api: Outcome
    pgbench_tps: list[float]
    worker_rss_mb: dict[int, float]

    @property
    def ratio(self) -> float:
        return self.api.per_second / statistics.mean(self.pgbench_tps)


def parse_args(argv: Sequence[str] | None) -> Settings:
    """Read the command line; --quick shortens the runs to 5 seconds."""
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_api")
    parser.add_argument("--quick", action="store_true", help="5 s runs, for development")
    parser.add_argument("--seconds", type=int, help="measured seconds per run (default 20)")
    parser.add_argument("--clients", type=int, default=8, help="HTTP and pgbench clients (8)")
    parser.add_argument("--members", type=int, default=1000, help="members to pick pairs from")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (2)")
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (4)")
    parser.add_argument(
        "--app",
        default="wsgi:app",
        help="WSGI app for gunicorn (wsgi:app; tests.perf.floor_app:app for the floor)",
    )
    parser.add_argument(
        "--rate-limit-storage",
        default="memory://",
        help="where the rate limits count: memory:// (each worker) or redis://127.0.0.1:6379",
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (5 if args.quick else 20)
    server = ServerSettings(args.workers, args.worker_class, args.threads)
    return Settings(
        seconds,
        min(5, seconds),
        args.clients,
        args.members,
        server,
        args.app,
        args.rate_limit_storage,
    )


def seed_api_bank(url: str, members: int) -> ApiBank:
    """Create a bank with a deep overdraft, `members` members, a broker and their token."""
    from timebank.membership.banks import create_time_bank
    from timebank.membership.services import add_member
    from timebank.membership.tokens import create_token

    with ledger_load.ledger_session(url) as session:
        bank = create_time_bank(
            session,
            "API Bench Time Bank",
            "api-bench",
            overdraft_minutes=ledger_load.BENCH_OVERDRAFT_MINUTES,
        )
        ids = tuple(add_member(session, bank.id, f"Member {n}").id for n in range(members))
        broker = add_member(session, bank.id, "Bench Broker", role="broker")
        _, token = create_token(session, bank.id, broker.id, "Benchmark", role="broker")
        return ApiBank(url, bank.id, broker.id, token, ids)


def transfer_body(
    transfer_id: uuid.UUID, giver: int, receiver: int, minutes: int, category: str
) -> dict[str, object]:
    """Return the JSON body of POST /api/v1/transfers for one exchange."""
    return {
        "id": str(transfer_id),
        "giver_id": giver,
        "receiver_id": receiver,
        "minutes": minutes,
        "skill_category": category,
        "happened_on": dt.date.today().isoformat(),
    }


def transfer_requests(bank: ApiBank, port: int, seed: int) -> api_load.MakeRequest:
    """Return a function making each request: a new id and a random pair of members."""
    rng = random.Random(seed)
    pool = bank.member_ids
    headers = {"Authorization": f"Bearer {bank.token}", "Content-Type": "application/json"}

    def make() -> bytes:
        giver, receiver = rng.sample(pool, 2)
        body = transfer_body(
            uuid.uuid4(), giver, receiver, rng.choice(MINUTES), rng.choice(CATEGORIES)
        )
        payload = json.dumps(body, separators=(",", ":")).encode()
        return api_load.request_bytes("POST", TRANSFERS_PATH, headers, payload, port)

    return make


def check_outcome(bank: ApiBank, before: int, outcome: Outcome) -> None:
    """Fail on any answer but 201, unless the database gained exactly the 201s and verifies."""
    if outcome.failures():
        statuses = dict(sorted((outcome.measured + outcome.outside).items()))
        samples = "\n".join(f"  {error}" for error in outcome.errors)
        raise BenchFailed(f"Answers other than 201 (status: count {statuses}):\n{samples}")
    gained = ledger_load.count_transfers(bank.url) - before
    created = outcome.count(201)
    if gained != created:
        raise BenchFailed(f"{created} answers were 201, but the database gained {gained}.")
    report = ledger_load.verify(bank.url)
    say(f"  verify: {report.summary()}")
    if not report.ok:
        raise BenchFailed("\n".join(report.problems))


def run_api(
    bank: ApiBank, settings: Settings, env: dict[str, str], pgbench_url: str, seed: int
) -> Figures:
    """Start gunicorn, post through it, read its workers' memory, check the ledger.

    pgbench runs just before and just after the API, while gunicorn sits idle.
    """
    pgbench = []
    with api_load.gunicorn(env, settings.server, settings.app) as server:
        say(f"server: {settings.server.describe()}, on 127.0.0.1:{server.port}")
        pgbench.append(pgbench_run(pgbench_url, settings, settings.seconds))
        say(f"pgbench tpcb-like (before): {pgbench[-1]:.1f} tps")
        before = ledger_load.count_transfers(bank.url)
        make = transfer_requests(bank, server.port, seed)
        cpu_before = server.worker_cpu_seconds()
        outcome = api_load.drive(
            server.port, make, settings.clients, settings.warmup, settings.seconds
        )
        cpu = server.worker_cpu_seconds() - cpu_before
        rss = server.worker_rss_mb()
        say(
            f"api: {outcome.per_second:.1f} transfers/s ({outcome.measured[201]} answered 201 in "
            f"{outcome.seconds:.0f} s, {outcome.outside[201]} more in the warm-up and at the end; "
            f"{outcome.connections} connections opened)"
        )
        say(
            f"  gunicorn workers' CPU: {1000 * cpu / max(outcome.count(201), 1):.2f} ms per "
            "transfer (user and system, warm-up included)"
        )
        say("  worker VmRSS: " + ", ".join(f"pid {pid} {mb:.1f} MiB" for pid, mb in rss.items()))
        check_outcome(bank, before, outcome)
        pgbench.append(pgbench_run(pgbench_url, settings, settings.seconds))
        say(f"pgbench tpcb-like (after): {pgbench[-1]:.1f} tps")
    return Figures(outcome, pgbench, rss)


def pgbench_run(url: str, settings: Settings, seconds: int) -> float:
    """Run pgbench's tpcb-like script with as many clients as the API had."""
    return run_tpcb_like(url, settings.clients, settings.pgbench_threads, seconds, "simple")


def measure(url: str, pgbench_url: str, settings: Settings) -> Figures:
    """Set up both databases, warm pgbench up, and run the API between two pgbench runs."""
    migrate(url)
    bank = seed_api_bank(url, settings.members)
    ledger_load.vacuum_analyze(url)
    init_pgbench(pgbench_url, scale=settings.clients)
    env = api_load.production_environment(url, rate_limit_storage=settings.rate_limit_storage)
    where = (
        "in each worker's memory"
        if settings.rate_limit_storage.startswith("memory")
        else f"in {settings.rate_limit_storage} (as in production)"
    )
    say(
        "app: config/production.py with a real PostgreSQL, no debug, TIMEBANK_SMS_BACKEND=fake, "
        f"texts left to the SMS worker (none are queued), rate limits on but counted {where} "
        f"at {api_load.BENCH_RATE_LIMIT} per token (the default, 600 per minute, would refuse "
        "this load)"
    )
    say(
        f"load: POST {TRANSFERS_PATH} with a broker's token for two of {settings.members} "
        f"members (posts at once), {settings.clients} keep-alive clients in one process, "
        f"{settings.warmup} s warm-up then {settings.seconds} s measured; pgbench tpcb-like "
        f"scale {settings.clients}, {settings.clients} clients, {settings.pgbench_threads} "
        "threads, simple protocol, before and after"
    )
    tps = pgbench_run(pgbench_url, settings, max(settings.seconds // 4, 2))
    say(f"warm-up (not counted): pgbench tpcb-like {tps:.1f} tps")
    return run_api(bank, settings, env, pgbench_url, seed=1)


def report(figures: Figures) -> None:
    """Print the figures, one `name=value` a line."""
    api = figures.api
    say(f"api_tps={api.per_second:.1f}")
    say(f"pgbench_tps={statistics.mean(figures.pgbench_tps):.1f}")
    say(f"api_vs_pgbench={figures.ratio:.2f}")
    say(f"api_p50_ms={api.percentile_ms(0.50):.1f}")
    say(f"api_p99_ms={api.percentile_ms(0.99):.1f}")
    say(f"api_worker_rss_mb={max(figures.worker_rss_mb.values()):.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the API benchmark; print its figures last, or explain the failure and return 1."""
    settings = parse_args(argv)
    url = create_postgres_database("timebank_api_bench")
    try:
        pgbench_url = create_postgres_database("pgbench_api")
        try:
            say(describe_machine(url))
            figures = measure(url, pgbench_url, settings)
        finally:
            drop_postgres_database(pgbench_url)
    except (BenchFailed, LoadFailed) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        drop_postgres_database(url)
    report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
