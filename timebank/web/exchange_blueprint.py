"""The blueprint of the log-hours pages, shared by two modules that each add their own.

`timebank.web.exchanges` has the pages for one exchange and `timebank.web.group_log` the
pages for a group; both put their routes on this blueprint, so the endpoint names stay
`exchanges.*` and neither module imports the other.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exchanges", __name__)
