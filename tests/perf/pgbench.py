"""PostgreSQL's own pgbench and its built-in tpcb-like script: the yardstick for the ledger."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import sqlalchemy as sa

TPS_LINE = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)


def pgbench_path() -> str:
    """Return the pgbench executable: on the PATH, else Debian's /usr/bin/pgbench."""
    return shutil.which("pgbench") or "/usr/bin/pgbench"


def _connection(url: str) -> tuple[list[str], dict[str, str]]:
    """Return pgbench's connection options and environment for a SQLAlchemy URL."""
    parsed = sa.make_url(url)
    args = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    if parsed.username:
        args += ["-U", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return args, env


def _run(url: str, options: list[str], timeout: float) -> str:
    """Run pgbench with `options` against the database at `url`; return its output."""
    args, env = _connection(url)
    database = sa.make_url(url).database or "postgres"
    done = subprocess.run(
        [pgbench_path(), *args, *options, database],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench {' '.join(options)} failed:\n{done.stderr.strip()}")
    return done.stdout + done.stderr


def init_pgbench(url: str, scale: int) -> None:
    """Create and fill pgbench's tables at `scale` (one branch row per scale unit)."""
    _run(url, ["-i", "-q", "-s", str(scale)], timeout=600)


def read_tps(output: str) -> float:
    """Return the tps pgbench reports, leaving out the time to connect."""
    match = TPS_LINE.search(output)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps line:\n{output.strip()}")
    return float(match.group(1))


def run_tpcb_like(url: str, clients: int, threads: int, seconds: int, protocol: str) -> float:
    """Run the tpcb-like script with `clients` connections for `seconds`; return its tps."""
    options = ["-b", "tpcb-like", "-n", "-c", str(clients), "-j", str(threads)]
    options += ["-T", str(seconds), "-M", protocol]
    return read_tps(_run(url, options, timeout=seconds + 120))
