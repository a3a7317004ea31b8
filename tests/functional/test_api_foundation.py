"""The API's ground rules: who may call it, the OpenAPI document, and one shape of error."""

from __future__ import annotations

import time

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import signed_in
from timebank.errors import NotAllowed
from timebank.extensions import db
from timebank.members.models import ApiToken
from timebank.membership.services import set_member_status
from timebank.membership.tokens import create_token, revoke_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def joyce(bank):
    return MemberFactory(bank=bank, display_name="Joyce Campbell")


@pytest.fixture
def joyce_token(session, bank, joyce):
    return create_token(session, bank.id, joyce.id, "Phone app")[1]


def test_a_token_says_who_is_calling(client, bank, joyce, joyce_token):
    response = client.get("/api/v1/me", headers=bearer(joyce_token))

    assert response.status_code == 200
    assert response.get_json() | {"token_id": None} == {
        "member_id": joyce.id,
        "display_name": "Joyce Campbell",
        "role": "member",
        "bank_id": bank.id,
        "bank_slug": bank.slug,
        "bank_name": bank.name,
        "token_id": None,
        "partner_id": None,
    }


def test_the_token_is_stored_only_as_a_digest_and_its_use_is_recorded(session, client, joyce_token):
    row = session.query(ApiToken).one()
    assert joyce_token not in (row.digest, row.prefix) and joyce_token.startswith(row.prefix)
    assert row.last_used_at is None

    client.get("/api/v1/me", headers=bearer(joyce_token))

    session.expire_all()
    assert session.query(ApiToken).one().last_used_at is not None


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer tb_not-a-real-token"}, {"Authorization": "Basic abc"}],
    ids=["none", "unknown token", "wrong scheme"],
)
def test_without_a_valid_token_the_answer_is_401_as_problem_details(client, headers):
    response = client.get("/api/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401 and body["code"] == "not_signed_in"
    assert body["detail"] and body["title"] == "Unauthorized"


def test_a_revoked_token_or_one_of_a_member_who_left_stops_working(
    session, client, bank, joyce, joyce_token
):
    second = create_token(session, bank.id, joyce.id, "Laptop")
    revoke_token(session, bank.id, joyce.id, second[0].id)
    assert client.get("/api/v1/me", headers=bearer(second[1])).status_code == 401

    set_member_status(session, bank.id, joyce.id, "left")
    assert client.get("/api/v1/me", headers=bearer(joyce_token)).status_code == 401


def test_a_member_cannot_make_a_token_above_their_role(session, bank, joyce):
    with pytest.raises(NotAllowed):
        create_token(session, bank.id, joyce.id, "Sneaky", role="admin")


def test_the_web_session_works_too_and_needs_csrf_only_for_changes(app, bank, joyce):
    client = signed_in(app, joyce)
    assert client.get("/api/v1/me").get_json()["member_id"] == joyce.id


def test_unknown_api_addresses_and_methods_answer_in_problem_details(client, joyce_token):
    missing = client.get("/api/v1/no-such-thing", headers=bearer(joyce_token))
    wrong_method = client.delete("/api/v1/me", headers=bearer(joyce_token))

    assert (missing.status_code, missing.mimetype) == (404, "application/problem+json")
    assert (wrong_method.status_code, wrong_method.mimetype) == (
        405,
        "application/problem+json",
    )
    assert wrong_method.get_json()["code"] == "method_not_allowed"


def test_web_pages_keep_their_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_the_openapi_document_lists_the_endpoints_and_the_problem_shape(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me" in document["paths"]
    assert "ProblemSchema" in str(document["components"]) or "Problem" in str(document)
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_tokens_of_one_bank_never_see_another(session, client, bank, joyce_token):
    other_bank = TimeBankFactory()
    other = MemberFactory(bank=other_bank, display_name="Otto Other")
    other_token = create_token(db.session, other_bank.id, other.id, "Other app")[1]

    assert client.get("/api/v1/me", headers=bearer(other_token)).get_json()["bank_id"] == (
        other_bank.id
    )
    assert client.get("/api/v1/me", headers=bearer(joyce_token)).get_json()["bank_id"] == (bank.id)


def test_rate_limits_count_per_token_and_answer_429_as_problem_details(
    database_url, session, bank, joyce
):
    from tests.functional.test_web_sign_in import app_with

    first = create_token(session, bank.id, joyce.id, "Phone app")[1]
    second = create_token(session, bank.id, joyce.id, "Laptop")[1]
    with app_with(database_url, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute") as app:
        client = app.test_client()
        codes = [client.get("/api/v1/me", headers=bearer(first)).status_code for _ in range(4)]
        refused = client.get("/api/v1/me", headers=bearer(first))
        other = client.get("/api/v1/me", headers=bearer(second))

    assert codes == [200, 200, 200, 429]
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "too_many_requests"
    assert other.status_code == 200  # the other token has its own count


def test_every_api_answer_tells_the_client_its_rate_limit_even_the_429(
    database_url, bank, joyce_token
):
    from tests.functional.test_web_sign_in import app_with

    with app_with(database_url, RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute") as app:
        client = app.test_client()
        answers = [client.get("/api/v1/me", headers=bearer(joyce_token)) for _ in range(3)]
        started = time.time()

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["1", "0", "0"]
    for answer in answers:
        assert answer.headers["X-RateLimit-Limit"] == "2"
        assert started < int(answer.headers["X-RateLimit-Reset"]) <= started + 62
        assert 0 <= int(answer.headers["Retry-After"]) <= 61


def test_a_bad_token_counts_against_the_rate_limit_before_it_is_refused(database_url, bank):
    from tests.functional.test_web_sign_in import app_with

    with app_with(database_url, RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute") as app:
        client = app.test_client()
        codes = [client.get("/api/v1/me", headers=bearer("tb_nope")).status_code for _ in range(3)]

    assert codes == [401, 401, 429]


def test_with_its_storage_unreachable_the_rate_limit_counts_in_memory_and_still_holds(
    database_url, bank, joyce_token
):
    from tests.functional.test_web_sign_in import app_with

    unreachable = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9",
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "API_RATE_LIMIT": "2 per minute",
    }
    with app_with(database_url, **unreachable) as app:
        client = app.test_client()
        answers = [client.get("/api/v1/me", headers=bearer(joyce_token)) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[0].headers["X-RateLimit-Remaining"] == "1"
