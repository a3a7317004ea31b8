"""`make bench`: the ledger's posting path against pgbench's tpcb-like script, same server.

After one short, unmeasured warm-up of each, alternates pgbench and the ledger (worker
processes calling `record_exchange`, real transactions) on the local PostgreSQL, then
measures a hot set of ten accounts and a single SQLite writer. The ledger is verified after
every run. The last line printed is `ledger_vs_pgbench=<median of the per-round ratios>`;
a failed check exits non-zero.

Usage: python -m tests.perf.bench_ledger [--quick] [--seconds N] [--rounds N] [--workers N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from tests.databases import create_postgres_database, drop_postgres_database, migrate
from tests.perf import ledger_load
from tests.perf.ledger_load import Bench, Tally
from tests.perf.pgbench import init_pgbench, run_tpcb_like

HOT_SET = 10


class BenchFailed(RuntimeError):
    """A check after a run failed: the ledger does not verify or the counts disagree."""


@dataclass(frozen=True)
class Settings:
    """How long and how wide to measure."""

    seconds: int
    rounds: int
    workers: int
    members: int
    threads: int
    protocol: str


def parse_args(argv: Sequence[str] | None) -> Settings:
    """Read the command line; --quick shortens every run to 3 seconds."""
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_ledger")
    parser.add_argument("--quick", action="store_true", help="3 s runs, for development")
    parser.add_argument("--seconds", type=int, help="length of each run (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="pgbench/ledger pairs (3)")
    parser.add_argument("--workers", type=int, default=8, help="clients and workers (8)")
    parser.add_argument("--members", type=int, default=1000, help="members to pick pairs from")
    parser.add_argument("--threads", type=int, default=2, help="pgbench -j (2)")
    parser.add_argument("--protocol", default="simple", choices=("simple", "extended", "prepared"))
    args = parser.parse_args(argv)
    seconds = args.seconds or (3 if args.quick else 15)
    return Settings(seconds, args.rounds, args.workers, args.members, args.threads, args.protocol)


def _memory_gib() -> float:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def describe_machine(url: str) -> str:
    """Describe the machine, PostgreSQL and Python the figures come from."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        server = conn.scalar(sa.text("SHOW server_version"))
    engine.dispose()
    return (
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, {_memory_gib():.1f} GiB memory; "
        f"PostgreSQL {server}; Python {platform.python_version()}; {platform.platform()}"
    )


def say(line: str) -> None:
    """Print one line of the report at once."""
    print(line, flush=True)


def check_ledger(bench: Bench, before: int, tally: Tally) -> None:
    """Fail unless the database gained exactly the counted transfers and verifies."""
    after = ledger_load.count_transfers(bench.url)
    counted = tally.committed + tally.warmup
    if after - before != counted:
        raise BenchFailed(f"Counted {counted} transfers, but the database gained {after - before}.")
    report = ledger_load.verify(bench.url)
    say(f"  verify: {report.summary()}")
    if not report.ok:
        raise BenchFailed("\n".join(report.problems))


def ledger_run(
    bench: Bench, pool: Sequence[int], settings: Settings, seed: int, label: str
) -> Tally:
    """Post from the workers for one run, print `label` with the result, check the ledger."""
    before = ledger_load.count_transfers(bench.url)
    tally = ledger_load.post_concurrently(bench, pool, settings.workers, settings.seconds, seed)
    say(f"{label}: {describe(tally)}")
    check_ledger(bench, before, tally)
    return tally


def describe(tally: Tally) -> str:
    """Format a tally as transfers per second with its counts."""
    return (
        f"{tally.per_second:.1f} transfers/s ({tally.committed} committed, "
        f"{tally.refused} refused, {tally.seconds:.1f} s)"
    )


def pgbench_run(pgbench_url: str, settings: Settings, seconds: int) -> float:
    """Run pgbench's tpcb-like script with the settings' clients for `seconds`."""
    return run_tpcb_like(
        pgbench_url, settings.workers, settings.threads, seconds, settings.protocol
    )


def warm_up(bench: Bench, pgbench_url: str, settings: Settings) -> None:
    """Run each side once, unmeasured: both start on fresh tables and cold caches."""
    seconds = max(1, settings.seconds // 3)
    tps = pgbench_run(pgbench_url, settings, seconds)
    say(f"warm-up (not counted): pgbench tpcb-like {tps:.1f} tps")
    short = dataclasses.replace(settings, seconds=seconds)
    ledger_run(bench, bench.member_ids, short, 1, "warm-up (not counted): ledger")


def alternate(bench: Bench, pgbench_url: str, settings: Settings) -> list[float]:
    """Run pgbench and the ledger in turn; return each round's ledger/pgbench ratio."""
    ratios = []
    for n in range(1, settings.rounds + 1):
        tps = pgbench_run(pgbench_url, settings, settings.seconds)
        say(f"round {n}: pgbench tpcb-like {tps:.1f} tps")
        tally = ledger_run(bench, bench.member_ids, settings, 1000 * n, f"round {n}: ledger")
        ratios.append(tally.per_second / tps)
        say(f"round {n}: ledger_vs_pgbench {ratios[-1]:.2f}")
    return ratios


def hot_set(bench: Bench, settings: Settings) -> None:
    """Post among the first ten members only: every transfer contends for the same rows."""
    label = f"hot set ({HOT_SET} accounts, {settings.workers} workers)"
    ledger_run(bench, bench.member_ids[:HOT_SET], settings, 99, label)


def sqlite_single_writer(settings: Settings) -> None:
    """Post from one process into a fresh, migrated SQLite file."""
    with tempfile.TemporaryDirectory(prefix="timebank-bench-") as workdir:
        url = f"sqlite:///{os.path.join(workdir, 'bench.sqlite3')}"
        migrate(url)
        bench = ledger_load.seed_bank(url, settings.members)
        before = ledger_load.count_transfers(url)
        tally = ledger_load.post_single_writer(bench, bench.member_ids, settings.seconds, seed=7)
        say(f"sqlite single writer: {describe(tally)}")
        check_ledger(bench, before, tally)


def measure(ledger_url: str, pgbench_url: str, settings: Settings) -> float:
    """Set up both databases, run everything, and return the median ratio."""
    migrate(ledger_url)
    bench = ledger_load.seed_bank(ledger_url, settings.members)
    ledger_load.vacuum_analyze(ledger_url)
    init_pgbench(pgbench_url, scale=settings.workers)
    say(
        f"pgbench: tpcb-like, scale {settings.workers}, {settings.workers} clients, "
        f"{settings.threads} threads, {settings.protocol} protocol, {settings.seconds} s per run"
    )
    say(
        f"ledger: record_exchange, {settings.workers} worker processes, "
        f"{settings.members} members, posted by the receiver, {settings.seconds} s per run"
    )
    warm_up(bench, pgbench_url, settings)
    ratios = alternate(bench, pgbench_url, settings)
    hot_set(bench, settings)
    sqlite_single_writer(settings)
    return statistics.median(ratios)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the ratio last, or explain the failure and return 1."""
    settings = parse_args(argv)
    ledger_url = create_postgres_database("timebank_bench")
    pgbench_url = create_postgres_database("pgbench")
    try:
        say(describe_machine(ledger_url))
        ratio = measure(ledger_url, pgbench_url, settings)
    except BenchFailed as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        drop_postgres_database(ledger_url)
        drop_postgres_database(pgbench_url)
    say(f"ledger_vs_pgbench={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
