"""Pages anyone can see: the front page listing the time banks on this service."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from timebank.extensions import db
from timebank.tenancy.models import TimeBank

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    banks = db.session.scalars(sa.select(TimeBank).order_by(TimeBank.name)).all()
    db.session.rollback()
    return render_template("public/index.html", banks=banks)
