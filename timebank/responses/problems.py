"""One error format for the API: RFC 9457 problem details, `application/problem+json`.

Every error the API gives has `status`, a short `title`, a `detail` in plain words, and a
stable machine `code` (e.g. `not_found`, `invalid_input`, `limit_exceeded`) that clients
can branch on. Validation errors add `errors`, field by field.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, json
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from timebank.errors import TimeBankError

PROBLEM_TYPE = "application/problem+json"

# Codes for errors that do not come from the time bank's own rules.
HTTP_CODES = {
    400: "bad_request",
    401: "not_signed_in",
    403: "not_allowed",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "server_error",
}
HTTP_DETAILS = {
    400: "The request could not be read. Check it is well-formed JSON with the fields listed.",
    401: "Sign in first: send 'Authorization: Bearer <your API token>'.",
    403: "Your token or role does not allow this.",
    404: "There is nothing here. Check the address and the id.",
    405: "This address does not take that method.",
    409: "That conflicts with what is already recorded.",
    413: "The request is too large.",
    415: "Send the body as JSON, with 'Content-Type: application/json'.",
    422: "Some of the details are not right; see 'errors'.",
    429: "Too many requests. Wait a little and try again.",
    500: "Sorry, something went wrong on our side. Nothing was recorded twice.",
}


def problem_from_error(error: TimeBankError) -> Response:
    """Build the problem+json answer for one of the time bank's errors.

    The status is the one of the error's kind (`timebank.errors`), the `code` the error's
    own, the detail its message: an edge never re-words or re-decides a service's refusal.
    """
    return problem(error.status, error.code, error.message)


class ProblemSchema(ma.Schema):
    """An error, as RFC 9457 problem details (documentation of the shape every error has)."""

    type = ma.fields.String(metadata={"description": "Always 'about:blank'."})
    title = ma.fields.String(metadata={"description": "The HTTP status in words."})
    status = ma.fields.Integer(metadata={"description": "The HTTP status code."})
    detail = ma.fields.String(metadata={"description": "What went wrong, in plain words."})
    code = ma.fields.String(metadata={"description": "A stable code to branch on."})
    errors = ma.fields.Dict(metadata={"description": "Field-by-field validation errors."})


def problem(
    status: int,
    code: str | None = None,
    detail: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or HTTP_DETAILS.get(status, "That did not work."),
        "code": code or HTTP_CODES.get(status, "error"),
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_from_http(error: HTTPException) -> Response:
    """Turn a werkzeug or webargs HTTP error into a problem, keeping validation details."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    # webargs nests errors by location ("json", "query"); keep that, it tells where to look.
    detail = data.get("message")
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return problem(status, detail=detail, errors=errors, headers=headers)
