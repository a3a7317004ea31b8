"""Home pages (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("home", __name__)


@bp.get("/home")
@login_required
def home():
    return render_template("placeholder.html", title="Home")


@bp.get("/history")
@login_required
def history():
    return render_template("placeholder.html", title="History")
