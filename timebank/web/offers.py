"""Offers and requests pages (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("offers", __name__)


@bp.get("/offers")
@login_required
def browse():
    return render_template("placeholder.html", title="Offers and requests")
