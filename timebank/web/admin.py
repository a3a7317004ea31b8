"""Members pages (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("admin", __name__)


@bp.get("/admin/members")
@login_required
def members():
    return render_template("placeholder.html", title="Members")
