"""Reading an API request's JSON body so that no body, however malformed, can crash a call.

Python's json module raises ValueError, not JSONDecodeError, for an integer of more than
4,300 digits, and RecursionError for arrays or objects nested some thousands deep. webargs
only catches JSONDecodeError, so such a body used to answer 500. This parser answers 400
problem+json, in plain words, for every body it cannot read.
"""

from __future__ import annotations

import json
from typing import Any

import flask
from webargs.flaskparser import FlaskParser, abort

UNREADABLE_JSON = (
    "The body could not be read as JSON: a number may have too many digits, or it may nest "
    "too deeply. Send well-formed JSON with the fields listed."
)


class SafeJsonParser(FlaskParser):
    """webargs' Flask parser, answering 400 for every body it cannot read as JSON."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs treats an empty body as missing, and the rest as 400
        except (ValueError, RecursionError):
            abort(400, message=UNREADABLE_JSON, messages={"json": ["Unreadable JSON body."]})


SAFE_JSON_PARSER = SafeJsonParser()
