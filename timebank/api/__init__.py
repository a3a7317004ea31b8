"""The JSON API under /api/v1: flask-smorest blueprints, token auth and problem errors.

`init_api(app)` builds the OpenAPI document (served at /api/v1/openapi.json) from the
blueprints in `BLUEPRINT_MODULES`; each module makes its blueprint with
`timebank.api.auth.api_blueprint`, so every endpoint gets the same sign-in, CSRF and rate
limit rules. Errors are answered by `timebank.web.security`, which turns every error on an
/api/ path into problem+json (`timebank.responses.problems`).
"""

from __future__ import annotations

import http
import importlib

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from timebank.api import docs_page, rate_limit
from timebank.responses.problems import PROBLEM_TYPE, ProblemSchema

# Each module defines `blp`; add a module here to publish its endpoints.
BLUEPRINT_MODULES = (
    "timebank.api.me",
    "timebank.api.referrals",
    "timebank.api.reports",
    "timebank.api.evidence",
    "timebank.api.members",
    "timebank.api.accounts",
    "timebank.api.organisations",
    "timebank.api.listings",
    "timebank.api.suggestions",
    "timebank.api.outreach",
    "timebank.api.transfers",
    "timebank.api.group_exchanges",
    "timebank.api.pot",
)

API_SETTINGS = {
    "API_TITLE": "Time bank ledger API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


class TimeBankApi(Api):
    """flask-smorest's Api, with problem+json as the documented shape of every error."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        # The app's own handlers (timebank.web.security) answer errors for every path, so
        # that web pages keep their HTML error pages and /api/ paths get problem+json.
        return None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, object] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_TYPE)
            else:
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error, as problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def init_api(app: Flask) -> TimeBankApi:
    """Attach the API blueprints, the OpenAPI document and its documentation page to the app."""
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    # Every endpoint takes the token (or the web session, which OpenAPI cannot describe).
    api = TimeBankApi(app, spec_kwargs={"security": [{"token": []}]})
    api.spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "A personal API token."}
    )
    for name in BLUEPRINT_MODULES:
        api.register_blueprint(importlib.import_module(name).blp)
    app.register_blueprint(docs_page.bp)
    rate_limit.init_app(app)
    app.extensions["timebank_api"] = api
    return api
