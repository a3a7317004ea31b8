"""The API's authorisation matrix, driven by the OpenAPI document.

Every operation the document lists is called with no token, a practice's token, and the
tokens of a member, a broker and an admin of bank A, each against the same small world
(built afresh after any call that changed it), and the answer must be the one in `MATRIX`.
Then an admin of bank B calls it with the ids of bank A's records: the answer is 404 and
not one row changes. An operation in the document without a row in `MATRIX` fails the
test, so a new endpoint cannot be published without saying who may use it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app

from tests.functional.api_world import BANK_A_WORDS, World, build_world
from timebank.db import Base
from timebank.sms.outbox import send_queued

CALLERS = ("none", "practice", "member", "broker", "admin")


@dataclass(frozen=True)
class Row:
    """Who may call an operation, with what: the answer for each caller of bank A.

    `path`, `query` and `body` give the request from the world's ids; `other_bank` is the
    answer bank B's admin gets using bank A's ids (None: the call names none of them).
    """

    answers: dict[str, int]
    path: Callable[[dict[str, Any]], dict[str, Any]] = lambda ids: {}
    query: Callable[[dict[str, Any]], dict[str, Any]] = lambda ids: {}
    body: Callable[[dict[str, Any]], Any] | None = None
    other_bank: int | None = 404
    headers: dict[str, str] = field(default_factory=dict)


def answers(practice: int = 403, member: int = 403, broker: int = 200, admin: int = 200):
    """Return the answers by caller; with no token the answer is always 401."""
    return {"none": 401, "practice": practice, "member": member, "broker": broker, "admin": admin}


MEMBERS_ONLY = answers(member=200)
BROKERS_ONLY = answers()


def sam(ids):
    return {"member_id": ids["sam"]}


def listing(ids):
    return {"listing_id": ids["listing"]}


def flag(ids):
    return {"flag_id": ids["flag"]}


def pending(ids):
    return {"transfer_id": ids["pending"]}


def posted(ids):
    return {"transfer_id": ids["posted"]}


def new_transfer(ids):
    return {
        "id": str(uuid.uuid4()),
        "giver_id": ids["sam"],
        "receiver_id": ids["kim"],
        "minutes": 30,
    }


def new_group(ids):
    receivers = [ids["sam"], ids["lee"]]
    return {
        "id": str(uuid.uuid4()),
        "giver_ids": [ids["kim"]],
        "receiver_ids": receivers,
        "minutes": 60,
    }


def march(ids):
    return {"from": "2026-03-01", "to": "2026-03-31"}


# Keyed by (method, path) as the OpenAPI document writes them.
MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/me"): Row(answers(practice=200, member=200), other_bank=None),
    # Referrals: brokers, and a practice for its own (the seeded one is the practice's).
    ("GET", "/api/v1/referrals"): Row(answers(practice=200), other_bank=None),
    # Only a practice makes referrals (as by text): a new patient's, so nothing of bank A.
    ("POST", "/api/v1/referrals"): Row(
        answers(practice=201, broker=403, admin=403),
        body=lambda ids: {"mobile": "07812 999888", "first_name": "Mary", "reason": "lonely"},
        other_bank=None,
    ),
    ("GET", "/api/v1/referrals/{referral_id}"): Row(
        answers(practice=200), path=lambda ids: {"referral_id": ids["referral"]}
    ),
    ("GET", "/api/v1/reports/figures"): Row(BROKERS_ONLY, query=march, other_bank=None),
    ("GET", "/api/v1/reports"): Row(BROKERS_ONLY, query=march, other_bank=None),
    # A practice's own outcomes: its token, or brokers naming it; bank B's admin finds none.
    ("GET", "/api/v1/reports/practice"): Row(
        answers(practice=200), query=lambda ids: march(ids) | {"partner_id": ids["partner"]}
    ),
    # Members: brokers list, see and sign up; only admins change a member's status.
    ("GET", "/api/v1/members"): Row(BROKERS_ONLY, other_bank=None),
    ("POST", "/api/v1/members"): Row(
        answers(broker=201, admin=201),
        body=lambda ids: {"name": "Nadia New", "consent": True},
        other_bank=None,
    ),
    ("GET", "/api/v1/members/{member_id}"): Row(BROKERS_ONLY, path=sam),
    ("PATCH", "/api/v1/members/{member_id}/status"): Row(
        answers(broker=403), path=sam, body=lambda ids: {"status": "suspended"}
    ),
    ("PATCH", "/api/v1/members/{member_id}/role"): Row(
        answers(broker=403), path=sam, body=lambda ids: {"role": "broker"}
    ),
    # Balances: a member sees their own; brokers anyone's.
    ("GET", "/api/v1/me/balance"): Row(MEMBERS_ONLY, other_bank=None),
    ("GET", "/api/v1/members/{member_id}/balance"): Row(BROKERS_ONLY, path=sam),
    # A member's real join date, and the community pot: brokers only.
    ("PUT", "/api/v1/members/{member_id}/joined-on"): Row(
        BROKERS_ONLY, path=sam, body=lambda ids: {"joined_on": "2019-01-01", "reason": "Paper"}
    ),
    ("GET", "/api/v1/pot"): Row(BROKERS_ONLY, other_bank=None),
    ("POST", "/api/v1/pot/donations"): Row(
        answers(broker=201, admin=201),
        body=lambda ids: {"id": str(uuid.uuid4()), "member_id": ids["sam"], "minutes": 30},
    ),
    ("POST", "/api/v1/pot/grants"): Row(
        answers(broker=201, admin=201),
        body=lambda ids: {
            "id": str(uuid.uuid4()),
            "member_id": ids["sam"],
            "minutes": 30,
            "reason": "Help after a fall",
        },
    ),
    ("GET", "/api/v1/accounts"): Row(BROKERS_ONLY, other_bank=None),
    # Organisation accounts, and linking a practice's to its referral partner: admins only.
    ("GET", "/api/v1/organisations"): Row(answers(broker=403), other_bank=None),
    ("POST", "/api/v1/organisations"): Row(
        answers(broker=403, admin=201),
        body=lambda ids: {"name": "Lewisham Gardeners", "kind": "community_group"},
        other_bank=None,
    ),
    ("PUT", "/api/v1/referral-partners/{partner_id}/account"): Row(
        answers(broker=403),
        path=lambda ids: {"partner_id": ids["partner"]},
        body=lambda ids: {"organisation_id": None},
    ),
    # Offers and requests: every member; only the owner changes one, a broker may close it.
    ("GET", "/api/v1/listings"): Row(MEMBERS_ONLY, other_bank=None),
    ("POST", "/api/v1/listings"): Row(
        answers(member=201, broker=201, admin=201),
        body=lambda ids: {"kind": "offer", "skill_category": "Gardening", "title": "Mowing"},
        other_bank=None,
    ),
    ("GET", "/api/v1/listings/{listing_id}"): Row(MEMBERS_ONLY, path=listing),
    ("PATCH", "/api/v1/listings/{listing_id}"): Row(
        answers(broker=403, admin=403), path=listing, body=lambda ids: {"title": "Hedges"}
    ),
    ("POST", "/api/v1/listings/{listing_id}/close"): Row(BROKERS_ONLY, path=listing),
    # Suggestions for a request: brokers; a member only for their own request (not this).
    ("GET", "/api/v1/listings/{listing_id}/suggestions"): Row(answers(member=404), path=listing),
    # Outreach: brokers only.
    ("GET", "/api/v1/outreach/flags"): Row(BROKERS_ONLY, other_bank=None),
    ("GET", "/api/v1/outreach/flags/{flag_id}"): Row(BROKERS_ONLY, path=flag),
    ("POST", "/api/v1/outreach/flags/{flag_id}/assign"): Row(
        BROKERS_ONLY, path=flag, body=lambda ids: {}
    ),
    ("POST", "/api/v1/outreach/flags/{flag_id}/contacts"): Row(
        answers(broker=201, admin=201), path=flag, body=lambda ids: {"method": "phoned"}
    ),
    ("POST", "/api/v1/outreach/flags/{flag_id}/snooze"): Row(
        BROKERS_ONLY,
        path=flag,
        body=lambda ids: {"until": (dt.date.today() + dt.timedelta(days=7)).isoformat()},
    ),
    ("POST", "/api/v1/outreach/flags/{flag_id}/resolve"): Row(
        BROKERS_ONLY, path=flag, body=lambda ids: {"outcome": "re_engaged"}
    ),
    # Transfers: a member records and sees only their own (the member here is neither
    # side of the seeded ones); brokers record and resolve anyone's, and reverse.
    ("POST", "/api/v1/transfers"): Row(
        answers(broker=201, admin=201), body=new_transfer, other_bank=404
    ),
    ("GET", "/api/v1/transfers"): Row(MEMBERS_ONLY, other_bank=None),
    ("GET", "/api/v1/transfers/{transfer_id}"): Row(answers(member=404), path=pending),
    ("POST", "/api/v1/transfers/{transfer_id}/confirm"): Row(
        answers(member=404), path=pending, body=lambda ids: {}
    ),
    ("POST", "/api/v1/transfers/{transfer_id}/decline"): Row(
        answers(member=404), path=pending, body=lambda ids: {}
    ),
    ("POST", "/api/v1/transfers/{transfer_id}/reverse"): Row(
        answers(broker=201, admin=201),
        path=posted,
        body=lambda ids: {"id": str(uuid.uuid4()), "reason": "Logged twice"},
    ),
    ("POST", "/api/v1/group-exchanges"): Row(
        answers(broker=201, admin=201), body=new_group, other_bank=404
    ),
    ("GET", "/api/v1/group-exchanges/{group_id}"): Row(
        answers(member=404), path=lambda ids: {"group_id": ids["group"]}
    ),
}


def document_operations() -> set[tuple[str, str]]:
    """Return every (method, path) in the OpenAPI document of a freshly built app."""
    from timebank import create_app

    app = create_app("testing", {"DATABASE_URL": "sqlite://"})
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in methods
    }


def call(client, method: str, path: str, row: Row, world: World, token: str | None):
    """Make the row's request, as the holder of `token` (None: no token at all)."""
    address = path.format(**{key: str(value) for key, value in row.path(world.ids).items()})
    assert "{" not in address, f"the row for {method} {path} gives no value for {address}"
    headers = dict(row.headers)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = row.body(world.ids) if row.body is not None else None
    return client.open(
        address, method=method, headers=headers, query_string=row.query(world.ids), json=body
    )


def snapshot(session) -> dict[str, list[tuple]]:
    """Return every row of every table but the tokens' (whose use is recorded on each call)."""
    session.rollback()
    found = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "api_tokens":
            continue
        rows = session.execute(sa.select(table)).all()
        found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    session.rollback()
    return found


def test_every_operation_in_the_document_has_a_row_in_the_matrix():
    operations = document_operations()

    missing = sorted(operations - MATRIX.keys())
    gone = sorted(MATRIX.keys() - operations)

    assert missing == [], f"add rows to MATRIX for {missing}"
    assert gone == [], f"these rows name operations the document no longer has: {gone}"


OPERATIONS = list(MATRIX)
OPERATION_IDS = [f"{method} {path}" for method, path in OPERATIONS]


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
def test_each_caller_gets_the_answer_in_the_matrix(client, session, operation):
    method, path = operation
    row = MATRIX[operation]
    world = build_world(session)

    got = {}
    for who in CALLERS:
        response = call(client, method, path, row, world, world.tokens.get(who))
        got[who] = response.status_code
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", (who, response.mimetype)
        elif method != "GET":
            # It changed bank A: the next caller gets a bank A just as it was before.
            world = build_world(session)

    assert got == row.answers


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
def test_another_banks_admin_cannot_reach_or_change_bank_a(client, session, operation):
    world = build_world(session)
    method, path = operation
    row = MATRIX[operation]
    # Texts queued while building the world are sent after any POST in tests; send them now.
    send_queued(session(), current_app.extensions["timebank_sms"])
    before = snapshot(session)

    response = call(client, method, path, row, world, world.other_admin_token)

    text = response.get_data(as_text=True)
    assert not [word for word in BANK_A_WORDS if word in text], text
    if row.other_bank is not None:
        assert response.status_code == row.other_bank, text
        assert snapshot(session) == before
    else:
        assert response.status_code < 500


def test_ids_in_paths_are_what_the_matrix_fills_in():
    """Catch a new path parameter the matrix would leave as '{name}'."""
    for (method, path), row in MATRIX.items():
        names = set(re.findall(r"{(\w+)}", path))
        given = set(
            row.path(
                {
                    key: 1
                    for key in (
                        "sam",
                        "listing",
                        "flag",
                        "pending",
                        "posted",
                        "group",
                        "referral",
                        "partner",
                    )
                }
            )
        )
        assert names == given, f"{method} {path}"
