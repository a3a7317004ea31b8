"""Schemathesis against the API's own OpenAPI document, in-process, as a broker.

For every operation it generates a bounded, repeatable set of requests, valid and not,
and checks that none causes a server error and that every answer matches what the
document says of it: its schema and its content type. The referral endpoints run as a
GP practice's token too (the only caller that can make referrals). Each operation is one
subtest of a single test, run through Hypothesis directly (schemathesis' lazy pytest
loader does not work with the pytest this project uses).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.functional.api_world import build_world
from timebank.extensions import db

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class FreshContextApp:
    """The app as WSGI, each request in an app context (and database session) of its own.

    The test keeps one app context pushed; without this, requests would share its session
    and Flask's `g`, as they never do in production.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        db.session.rollback()
        with self.app.app_context():
            return self.app(environ, start_response)


def check_operation(operation, headers: dict[str, str]) -> None:
    """Run the bounded examples of one operation; raise on the first failing one."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @EXAMPLES
    @given(case=cases)
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_the_api_answers_every_generated_request_within_its_schema(app, session, subtests):
    tokens = build_world(session).tokens
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", FreshContextApp(app))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10

    for operation in operations:
        # A practice's token reaches its own referrals; every other endpoint refuses it.
        callers = ["broker", "practice"] if "/referrals" in operation.path else ["broker"]
        for who in callers:
            with subtests.test(msg=f"{operation.label} as {who}"):
                check_operation(operation, {"Authorization": f"Bearer {tokens[who]}"})
