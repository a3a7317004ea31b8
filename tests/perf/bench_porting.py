"""`make bench`, the porting part: importing and exporting a large bank on PostgreSQL.

Writes our template's files for 10,000 members (with mobiles, join dates, offers) and
200,000 historic exchanges over three years, in memory, then times `flask bank import`'s
service with --commit (the dry-run checks included, progress on stderr) into an empty bank,
and the export of the same bank as a zip. It prints `import_200k_s=` and `export_200k_s=`,
checks that every balance equals the files' and that `flask ledger verify` passes, and
drops its database at the end (unless --keep).

Usage: python -m tests.perf.bench_porting [--members N] [--exchanges N] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections import Counter

import sqlalchemy as sa

from tests.databases import create_postgres_database, drop_postgres_database, migrate
from tests.perf.bench_ledger import describe_machine, say
from tests.perf.ledger_load import ledger_session
from timebank.porting.values import hours_text

START = dt.date(2023, 1, 1)
DAYS = 3 * 365
CATEGORIES = ("Gardening", "IT help", "Transport and lifts", "Befriending and conversation")


def template_files(
    members: int, exchanges: int, seed: int = 17
) -> tuple[list[tuple[str, bytes]], Counter[str]]:
    """Return the four files for a bank of this size, and each member's balance in minutes."""
    rng = random.Random(seed)
    people = [f"p{n}" for n in range(members)]
    member_rows = ["id,name,mobile,area,joined_at"] + [
        f"{ref},Member {n},07123 {n:06d},Area {n % 40},{START + dt.timedelta(days=n % 60)}"
        for n, ref in enumerate(people)
    ]
    listing_rows = ["id,member,kind,category,title"] + [
        f"l{n},{ref},offer,{CATEGORIES[n % 4]},Help number {n}" for n, ref in enumerate(people)
    ]
    balance: Counter[str] = Counter()
    exchange_rows = ["id,date,giver,receiver,hours,category"]
    for n in range(exchanges):
        giver, receiver = rng.sample(people, 2)
        minutes = rng.choice((30, 60, 90, 120, 150))
        day = START + dt.timedelta(days=60 + rng.randrange(DAYS - 60))
        balance[giver] += minutes
        balance[receiver] -= minutes
        exchange_rows.append(
            f"x{n},{day},{giver},{receiver},{minutes // 60}:{minutes % 60:02d},{CATEGORIES[n % 4]}"
        )
    balance_rows = ["account,hours"] + [f"{ref},{hours_text(balance[ref])}" for ref in people]
    files = [
        (name, ("\n".join(rows) + "\n").encode())
        for name, rows in (
            ("members.csv", member_rows),
            ("listings.csv", listing_rows),
            ("exchanges.csv", exchange_rows),
            ("balances.csv", balance_rows),
        )
    ]
    return files, balance


def measure(url: str, members: int, exchanges: int) -> dict[str, float]:
    """Import the files into an empty bank and export it; return the seconds each took."""
    from timebank.ledger.models import Account
    from timebank.ledger.verify import verify_ledger
    from timebank.members.models import Member
    from timebank.membership.banks import create_time_bank
    from timebank.porting.export import export_bank
    from timebank.porting.services import import_files

    files, balance = template_files(members, exchanges)
    with ledger_session(url) as session:
        bank = create_time_bank(session, "Bench Import Bank", "bench-import")
        started = time.perf_counter()
        cpu = time.process_time()

        def progress(words: str) -> None:
            print(f"{time.perf_counter() - started:6.1f} s  {words}", file=sys.stderr, flush=True)

        outcome = import_files(session, bank.slug, files, commit=True, progress=progress)
        say(f"import_cpu_s={time.process_time() - cpu:.1f}")
        imported = time.perf_counter() - started
        if not outcome.committed:
            raise SystemExit(f"The import did not commit: {outcome.problems[:5]}")
        started = time.perf_counter()
        archive = export_bank(session, bank.slug)
        exported = time.perf_counter() - started
        stored = dict(session.execute(
            sa.select(Member.display_name, Account.credits_posted - Account.debits_posted)
            .join(Account, Account.member_id == Member.id).where(Member.bank_id == bank.id)
        ).all())  # fmt: skip
        wanted = {f"Member {n}": balance[f"p{n}"] for n in range(members)}
        if stored != wanted:
            raise SystemExit("The imported balances differ from the files'.")
        report = verify_ledger(session)
        if not report.ok:
            raise SystemExit(f"The ledger does not verify: {report.problems[:5]}")
        say(report.summary())
        say(f"export_zip_bytes={len(archive)}")
    return {"import": imported, "export": exported}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--exchanges", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="Leave the database in place.")
    args = parser.parse_args(argv)
    url = create_postgres_database("timebank_bench_porting")
    try:
        migrate(url)
        say(describe_machine(url))
        say(f"porting: {args.members} members, {args.exchanges} historic exchanges")
        seconds = measure(url, args.members, args.exchanges)
        say(f"import_200k_s={seconds['import']:.1f}")
        say(f"export_200k_s={seconds['export']:.1f}")
    finally:
        if args.keep:
            say(f"kept database: {url}")
        else:
            drop_postgres_database(url)


if __name__ == "__main__":
    main()
