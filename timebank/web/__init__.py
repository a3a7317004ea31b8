"""The public front page; member and broker pages build on this blueprint."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from timebank.extensions import db
from timebank.tenancy.models import TimeBank

bp = Blueprint("web", __name__, template_folder="templates")


@bp.get("/")
def index() -> str:
    banks = db.session.scalars(sa.select(TimeBank).order_by(TimeBank.name)).all()
    db.session.rollback()
    return render_template("index.html", banks=banks)
