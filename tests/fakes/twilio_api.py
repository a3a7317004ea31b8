"""A fake of Twilio's Messages REST API on 127.0.0.1, for the real twilio Client.

It keeps every message it "created" and can be told how to answer the next requests:
"ok", "throttled" (429 / 20429), "opted_out" (400 / 21610), "bad_number" (400 / 21211),
"server_error" (500, message created), "timeout" (message created, answer too late),
"refuse" (the server stops listening, so the connection is refused).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ERRORS = {
    "throttled": (429, 20429, "Too Many Requests"),
    "opted_out": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "bad_number": (400, 21211, "The 'To' number is not a valid phone number."),
    "server_error": (500, 20500, "Internal Server Error"),
}


@dataclass
class FakeMessage:
    sid: str
    to: str
    body: str
    sender: str
    status_callback: str | None
    created: dt.datetime
    status: str = "queued"


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "fake-auth-token"
    timeout_seconds: float = 1.5
    messages: list[FakeMessage] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    _script: deque = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_next(self, *modes: str) -> None:
        """Queue how to answer the next message requests (then "ok" again)."""
        with self._lock:
            self._script.extend(modes)

    def next_mode(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else "ok"

    def create(self, form: dict[str, str]) -> FakeMessage:
        message = FakeMessage(
            sid="SM" + uuid.uuid4().hex,
            to=form.get("To", ""),
            body=form.get("Body", ""),
            sender=form.get("From") or form.get("MessagingServiceSid", ""),
            status_callback=form.get("StatusCallback"),
            created=dt.datetime.now(dt.UTC),
        )
        with self._lock:
            self.messages.append(message)
        return message

    def sent_to(self, to: str) -> list[FakeMessage]:
        with self._lock:
            return [m for m in self.messages if m.to == to]


def _resource(fake: FakeTwilio, message: FakeMessage) -> dict:
    created = email.utils.format_datetime(message.created, usegmt=True)
    return {
        "sid": message.sid,
        "account_sid": fake.account_sid,
        "to": message.to,
        "from": message.sender,
        "body": message.body,
        "status": message.status,
        "direction": "outbound-api",
        "num_segments": "1",
        "date_created": created,
        "date_updated": created,
        "date_sent": None,
        "error_code": None,
        "error_message": None,
        "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{message.sid}.json",
    }


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    prefix = f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _authorised(self) -> bool:
            expected = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
            return self.headers.get("Authorization") == f"Basic {expected}"

        def _reply(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if urlsplit(self.path).path != prefix:
                return self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
            if not self._authorised():
                return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            fake.requests.append(form)
            mode = fake.next_mode()
            if mode in ("throttled", "opted_out", "bad_number"):
                status, code, text = ERRORS[mode]
                return self._reply(status, {"code": code, "message": text, "status": status})
            message = fake.create(form)
            if mode == "server_error":
                status, code, text = ERRORS[mode]
                return self._reply(status, {"code": code, "message": text, "status": status})
            if mode == "timeout":
                time.sleep(fake.timeout_seconds)
            return self._reply(201, _resource(fake, message))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != prefix or not self._authorised():
                return self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
            to = parse_qs(parts.query).get("To", [None])[0]
            with fake._lock:
                found = [m for m in reversed(fake.messages) if to is None or m.to == to]
            return self._reply(
                200,
                {
                    "messages": [_resource(fake, m) for m in found],
                    "page": 0,
                    "page_size": 50,
                    "first_page_uri": prefix,
                    "next_page_uri": None,
                    "previous_page_uri": None,
                    "uri": prefix,
                    "start": 0,
                    "end": len(found),
                },
            )

    return Handler


class FakeTwilioServer:
    """Serve a FakeTwilio on a free port of 127.0.0.1 in a background thread."""

    def __init__(self, fake: FakeTwilio | None = None) -> None:
        self.fake = fake or FakeTwilio()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeTwilioServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
