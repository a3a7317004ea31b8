"""Log hours pages (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("exchanges", __name__)


@bp.get("/log")
@login_required
def log_hours():
    return render_template("placeholder.html", title="Log hours")
