"""The member search behind the broker and admin member lists."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from timebank.extensions import db
from timebank.members.profile import MemberPage, find_members


def search_members() -> tuple[MemberPage, str]:
    """Search the signed-in member's bank by the `q` and `page` query arguments."""
    words = (request.args.get("q") or "").strip()[:100]
    page = find_members(
        db.session(), current_user.bank_id, words, request.args.get("page", 1, type=int)
    )
    return page, words
