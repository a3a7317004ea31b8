"""Broker pages (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("broker", __name__)


@bp.get("/broker")
@login_required
def dashboard():
    return render_template("placeholder.html", title="Broker")
