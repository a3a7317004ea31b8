"""The kinds-of-help page: admins edit the bank's skill categories, brokers may look."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, sign_in_as
from timebank.offers import skills
from timebank.tenancy.models import BrokerAction


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)


def test_the_dashboard_links_admins_to_the_kinds_of_help(client, admin):
    sign_in_as(client, admin)

    assert 'href="/admin/skills"' in client.get("/broker").get_data(as_text=True)


def test_admin_adds_a_kind_of_help_and_members_can_choose_it(app, client, session, bank, admin):
    sign_in_as(client, admin)

    done = client.post(
        "/admin/skills", data={"name": "Home visits", "needs_check": "y"}, follow_redirects=True
    )

    assert "Home visits is added to the list." in done.get_data(as_text=True)
    assert skills.category_needs_check(session, bank.id, "Home visits")
    session.rollback()
    joyce = MemberFactory(bank=bank)
    client.post("/sign-out")
    sign_in_as(client, joyce)
    assert '<option value="Home visits">' in client.get("/offers/new/offer").get_data(as_text=True)


def test_admin_renames_moves_hides_and_flags_a_category(client, session, bank, admin):
    sign_in_as(client, admin)

    form = client.get("/admin/skills/rename?name=Pets")
    client.post("/admin/skills/rename?name=Pets", data={"new_name": "Pets and animals"})
    client.post("/admin/skills/up", data={"name": "Gardening"})
    client.post("/admin/skills/shown", data={"name": "Other", "value": "off"})
    client.post("/admin/skills/check", data={"name": "Practical help", "value": "on"})

    assert h1s(form) == ["Rename Pets"]
    names = skills.skill_categories(session, bank.id)
    assert names[0] == "Gardening" and "Pets and animals" in names and "Other" not in names
    assert skills.category_needs_check(session, bank.id, "Practical help")
    audit = session.scalars(sa.select(BrokerAction.action).order_by(BrokerAction.id)).all()
    assert audit == ["skill_renamed", "skill_moved", "skill_hidden", "skill_needs_check"]


def test_errors_are_shown_in_plain_words(client, admin):
    sign_in_as(client, admin)

    empty = client.post("/admin/skills", data={"name": ""}).get_data(as_text=True)
    same = client.post("/admin/skills", data={"name": "gardening"}).get_data(as_text=True)
    taken = client.post("/admin/skills/rename?name=Pets", data={"new_name": "IT help"})

    assert "Enter a name for the kind of help." in empty and "There is a problem" in empty
    assert "There is already a kind of help called gardening." in same
    assert "There is already a kind of help called IT help." in taken.get_data(as_text=True)


def test_brokers_may_look_but_not_change_and_members_get_403(client, session, bank, broker):
    joyce = MemberFactory(bank=bank)
    sign_in_as(client, broker)

    page = client.get("/admin/skills")
    refused = [
        client.post("/admin/skills", data={"name": "Juggling"}).status_code,
        client.post("/admin/skills/up", data={"name": "Pets"}).status_code,
        client.get("/admin/skills/rename?name=Pets").status_code,
    ]
    client.post("/sign-out")
    sign_in_as(client, joyce)

    assert page.status_code == 200 and "Only an admin can change this list." in page.text
    assert "Move up" not in page.text
    assert refused == [403, 403, 403]
    assert client.get("/admin/skills").status_code == 403
    assert skills.skill_categories(session, bank.id) == skills.DEFAULT_SKILL_CATEGORIES


def test_one_banks_edits_never_show_in_another_bank(client, session, bank, admin):
    elsewhere = TimeBankFactory()
    their_admin = MemberFactory(bank=elsewhere, role="admin")
    sign_in_as(client, admin)
    client.post("/admin/skills", data={"name": "Home visits"})
    client.post("/admin/skills/shown", data={"name": "Pets", "value": "off"})
    client.post("/sign-out")
    sign_in_as(client, their_admin)

    theirs = client.get("/admin/skills").get_data(as_text=True)
    renamed = client.post("/admin/skills/rename?name=Home+visits", data={"new_name": "Visits"})

    assert "Home visits" not in theirs and "Hidden" not in theirs
    assert renamed.status_code == 302
    assert "Home visits" in skills.skill_categories(session, bank.id)
    assert skills.skill_categories(session, elsewhere.id) == skills.DEFAULT_SKILL_CATEGORIES
