"""Load over HTTP: gunicorn serving the app, and cheap keep-alive clients in threads.

The clients share the machine's cores with gunicorn and PostgreSQL, so they do as little
as they can: each thread holds one TCP connection, writes a prepared request with plain
`socket.sendall`, and reads the answer by its Content-Length. Threads spend nearly all their
time blocked in `recv`, with the GIL released.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "127.0.0.1"
# Settings for the run on top of config/production.py: a real PostgreSQL, no debug, texts
# go nowhere, and rate limits counted in each process and set far above the load.
BENCH_RATE_LIMIT = "1000000 per minute"
ERROR_SAMPLES = 5

MakeRequest = Callable[[], bytes]


class LoadFailed(RuntimeError):
    """The server could not be started, or a client could not talk to it."""


# --- gunicorn -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSettings:
    """How gunicorn runs: its worker class, processes and threads per process."""

    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 4
    environment: str = "production"

    def describe(self) -> str:
        threads = f", {self.threads} threads each" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.worker_class}, {self.workers} workers{threads}"


def production_environment(
    database_url: str, environment: str = "production", rate_limit_storage: str = "memory://"
) -> dict[str, str]:
    """Return the TIMEBANK_* variables the app needs to run with production settings."""
    env = {
        "TIMEBANK_ENV": environment,
        "TIMEBANK_SECRET_KEY": secrets.token_urlsafe(32),
        "TIMEBANK_DATABASE_URL": database_url,
        "TIMEBANK_SMS_BACKEND": "fake",
        "TIMEBANK_SMS_SEND_INLINE": "false",
        "TIMEBANK_RATELIMIT_STORAGE_URI": rate_limit_storage,
        "TIMEBANK_API_RATE_LIMIT": BENCH_RATE_LIMIT,
        "TIMEBANK_LOG_LEVEL": "WARNING",
    }
    if database_url.startswith("sqlite"):  # the smoke test: psycopg's pool options do not apply
        env["TIMEBANK_SQLALCHEMY_ENGINE_OPTIONS"] = "{}"
    return env


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: its master process, port and log file."""

    process: subprocess.Popen
    port: int
    log_path: str

    def log_tail(self, lines: int = 30) -> str:
        with open(self.log_path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's children (the workers)."""
        return children_of(self.process.pid)

    def worker_cpu_seconds(self) -> float:
        """Return the CPU time (user and system) the workers have used so far, together."""
        return sum(cpu_seconds(pid) for pid in self.worker_pids())

    def worker_rss_mb(self) -> dict[int, float]:
        """Return each worker's resident memory in MiB (VmRSS), by pid."""
        return {pid: rss_mb(pid) for pid in self.worker_pids()}


def children_of(pid: int) -> list[int]:
    """Return the pids whose parent is `pid`, from /proc."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(name))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """Return a process's user and system CPU time in seconds, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Return a process's resident set size in MiB, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise LoadFailed(f"Process {pid} reports no VmRSS.")


@contextlib.contextmanager
def gunicorn(
    env: Mapping[str, str], settings: ServerSettings, app: str = "wsgi:app", timeout: float = 60
) -> Iterator[Server]:
    """Run gunicorn on a free port with `env` added; stop it (and its workers) after."""
    port = free_port()
    command = [
        os.path.join(os.path.dirname(sys.executable), "gunicorn"),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(settings.workers),
        "--worker-class",
        settings.worker_class,
        "--threads",
        str(settings.threads),
        "--keep-alive",
        "30",
        "--backlog",
        "128",
        "--log-level",
        "warning",
        app,
    ]
    log = tempfile.NamedTemporaryFile(prefix="timebank-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(process, port, log.name)
    try:
        wait_healthy(server, settings.workers, timeout)
        yield server
    finally:
        stop(server)
        log.close()
        os.unlink(log.name)


def wait_healthy(server: Server, workers: int, timeout: float) -> None:
    """Wait until every worker is up and /healthz answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise LoadFailed(
                f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(HOST, server.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200 and len(server.worker_pids()) >= workers:
                    return
            finally:
                conn.close()
        time.sleep(0.2)
    raise LoadFailed(f"gunicorn did not answer /healthz in {timeout:.0f} s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    """Stop gunicorn gracefully (SIGTERM to the master), then for good if it lingers."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)


# --- clients --------------------------------------------------------------------------------


def request_bytes(
    method: str, path: str, headers: Mapping[str, str], body: bytes = b"", port: int = 0
) -> bytes:
    """Return an HTTP/1.1 request with keep-alive, ready for `sendall`."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Outcome:
    """What the clients saw: statuses, latencies of the measured window, sample errors."""

    measured: Counter = field(default_factory=Counter)
    outside: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    connections: int = 0
    seconds: float = 0.0

    def add(self, other: Outcome) -> None:
        self.measured.update(other.measured)
        self.outside.update(other.outside)
        self.latencies.extend(other.latencies)
        self.errors.extend(other.errors[: max(ERROR_SAMPLES - len(self.errors), 0)])
        self.connections += other.connections

    def count(self, status: int) -> int:
        """Return how many answers had `status`, in and outside the measured window."""
        return self.measured[status] + self.outside[status]

    def failures(self) -> int:
        """Return how many answers were anything but 201 (or the connection failed)."""
        return sum(n for status, n in (self.measured + self.outside).items() if status != 201)

    @property
    def per_second(self) -> float:
        return self.measured[201] / self.seconds if self.seconds else 0.0

    def percentile_ms(self, share: float) -> float:
        """Return the latency below which `share` of the measured answers came (nearest rank)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        rank = max(int(round(share * len(ordered) + 0.5)) - 1, 0)
        return ordered[min(rank, len(ordered) - 1)] * 1000


class Connection:
    """One keep-alive connection that sends a request and reads one whole response."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.opened = 0

    def _open(self) -> socket.socket:
        sock = socket.create_connection((HOST, self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buffer = sock, b""
        self.opened += 1
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def exchange(self, data: bytes) -> tuple[int, bytes]:
        """Send one request; return the status and body. Reconnects if the server closed."""
        sock = self.sock or self._open()
        sock.sendall(data)
        head = self._read_until(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, closing = 0, False
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True
            elif name == b"transfer-encoding":
                raise LoadFailed("The client reads only Content-Length bodies.")
        body = self._read_exactly(length)
        if closing:
            self.close()
        return status, body

    def _recv(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("The server closed the connection mid-response.")
        self.buffer += chunk

    def _read_until(self, marker: bytes) -> bytes:
        while (end := self.buffer.find(marker)) < 0:
            self._recv()
        head, self.buffer = self.buffer[:end], self.buffer[end + len(marker) :]
        return head

    def _read_exactly(self, length: int) -> bytes:
        while len(self.buffer) < length:
            self._recv()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return body


def _client(
    port: int,
    make_request: MakeRequest,
    window: tuple[float, float],
    stop_at: float,
    outcome: Outcome,
) -> None:
    """Send requests back to back until `stop_at`; time those inside the measured window."""
    start, end = window
    conn = Connection(port)
    clock = time.perf_counter
    try:
        while (sent := clock()) < stop_at:
            try:
                status, body = conn.exchange(make_request())
            except (OSError, ValueError, IndexError) as exc:
                conn.close()
                status, body = 0, f"{type(exc).__name__}: {exc}".encode()
            done = clock()
            if start <= sent and done <= end:
                outcome.measured[status] += 1
                outcome.latencies.append(done - sent)
            else:
                outcome.outside[status] += 1
            if status != 201 and len(outcome.errors) < ERROR_SAMPLES:
                outcome.errors.append(f"{status}: {body[:300].decode(errors='replace')}")
    finally:
        conn.close()
        outcome.connections = conn.opened


def drive(
    port: int, make_request: MakeRequest, clients: int, warmup: float, seconds: float
) -> Outcome:
    """Run `clients` threads for `warmup` + `seconds`; measure only the last `seconds`.

    Every answer counts towards the totals (warm-up ones too, so they can be checked against
    the database), but only those sent and answered inside the window count for the rate and
    the latencies.
    """
    begin = time.perf_counter() + 0.05
    window = (begin + warmup, begin + warmup + seconds)
    outcomes = [Outcome() for _ in range(clients)]
    threads = [
        threading.Thread(
            target=_client, args=(port, make_request, window, window[1], outcome), daemon=True
        )
        for outcome in outcomes
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=warmup + seconds + 120)
        if thread.is_alive():
            raise LoadFailed("A client thread did not finish in time.")
    total = Outcome(seconds=seconds)
    for outcome in outcomes:
        total.add(outcome)
    return total
