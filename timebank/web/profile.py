"""Your profile pages (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("profile", __name__)


@bp.get("/profile")
@login_required
def profile():
    return render_template("placeholder.html", title="Your profile")
