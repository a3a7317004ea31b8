"""The admin's import and export pages: a dry run first, then Import; admins of the bank only."""

from __future__ import annotations

import io
import os
import re
import time
import zipfile

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, sign_in_as
from timebank.ledger.models import Transfer
from timebank.members.models import Member
from timebank.tenancy.models import BrokerAction

MEMBERS = (
    b"id,name,mobile,joined_at\nm1,Ann Archer,07123 900001,2024-02-01\nm2,Ben Baker,,2024-03-01\n"
)
EXCHANGES = b"id,date,giver,receiver,hours\ne1,2024-04-02,m1,m2,1:30\n"


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def upload(client, *files):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/admin/import", data=data, content_type="multipart/form-data")


def staged_name(response) -> str:
    return re.search(r'name="staged" type="hidden" value="([0-9a-f]+)"',
                     response.get_data(as_text=True)).group(1)  # fmt: skip


def members_of(session, bank) -> list[str]:
    session.rollback()
    return sorted(session.scalars(sa.select(Member.display_name).where(Member.bank_id == bank.id)))


@pytest.fixture
def csrf_on(app):
    """Return a switch that turns CSRF checks on, off again after the test."""
    yield lambda: app.config.update(WTF_CSRF_ENABLED=True)
    app.config["WTF_CSRF_ENABLED"] = False


def test_an_admin_checks_the_files_then_imports_them(client, session, bank, admin):
    sign_in_as(client, admin)
    assert 'href="/admin/import"' in client.get("/broker").get_data(as_text=True)

    checked = upload(client, ("members.csv", MEMBERS), ("exchanges.csv", EXCHANGES))

    assert checked.status_code == 200
    assert "members.csv row 2: add member Ann Archer, joined 2024-02-01" in text(checked)
    assert "This would add 2 members, 0 listings, 1 exchanges" in text(checked)
    assert members_of(session, bank) == ["Ada Admin"]

    done = client.post("/admin/import/commit", data={"staged": staged_name(checked)},
                       follow_redirects=True)  # fmt: skip

    assert "Imported 2 members, 0 listings, 1 exchanges, 0 opening balances." in text(done)
    assert members_of(session, bank) == ["Ada Admin", "Ann Archer", "Ben Baker"]
    actions = session.scalars(sa.select(BrokerAction.action).where(BrokerAction.bank_id == bank.id))
    assert list(actions) == ["bank_imported"]


def test_files_with_problems_show_them_and_offer_no_import_button(client, session, bank, admin):
    sign_in_as(client, admin)
    bad = EXCHANGES + b"e2,03/04/2024,m1,m2,1\n"

    checked = upload(client, ("members.csv", MEMBERS), ("exchanges.csv", bad))

    assert "exchanges.csv row 3: 03/04/2024 could be read two ways" in text(checked)
    assert 'name="staged"' not in checked.get_data(as_text=True) or staged_empty(checked)
    assert members_of(session, bank) == ["Ada Admin"]


def staged_empty(response) -> bool:
    return 'action="/admin/import/commit"' not in response.get_data(as_text=True)


def test_a_file_that_cannot_be_read_is_explained_on_the_page(client, bank, admin):
    sign_in_as(client, admin)

    page = upload(client, ("members.csv", "id,name\nm1,Zoë\n".encode("latin-1")))

    assert page.status_code == 422
    assert "members.csv is not UTF-8 text" in text(page)


def test_an_upload_too_big_is_refused_before_it_is_read(client, bank, admin):
    sign_in_as(client, admin)

    claimed = str(4 * 50 * 1024 * 1024 + 2 * 1024 * 1024)
    page = client.post(
        "/admin/import",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": claimed},
    )

    assert page.status_code == 413
    assert "each file must be under 50 MB, and four files at most" in text(page)


def test_the_import_form_needs_its_csrf_token(client, session, bank, admin, csrf_on):
    sign_in_as(client, admin)
    csrf_on()

    page = upload(client, ("members.csv", MEMBERS))

    assert page.status_code == 400
    assert members_of(session, bank) == ["Ada Admin"]


def test_files_checked_by_one_admin_cannot_be_imported_by_another(
    app, client, session, bank, admin
):
    sign_in_as(client, admin)
    name = staged_name(upload(client, ("members.csv", MEMBERS)))
    other_admin = MemberFactory(bank=bank, role="admin", display_name="Other Admin")
    other = app.test_client()
    sign_in_as(other, other_admin)

    page = other.post("/admin/import/commit", data={"staged": name}, follow_redirects=True)

    assert "no longer waiting to be imported" in text(page)
    assert "Ann Archer" not in members_of(session, bank)


@pytest.mark.parametrize("role", ["member", "broker"])
def test_only_admins_may_import_or_export(client, bank, role):
    sign_in_as(client, MemberFactory(bank=bank, role=role))

    assert client.get("/admin/import").status_code == 403
    assert upload(client, ("members.csv", MEMBERS)).status_code == 403
    assert client.get("/admin/export").status_code == 403


def test_the_export_download_holds_only_the_admins_own_bank(client, session, bank, admin):
    MemberFactory(bank=bank, display_name="Joyce Campbell")
    MemberFactory(bank=TimeBankFactory(), display_name="Someone Elsewhere")
    sign_in_as(client, admin)

    download = client.get("/admin/export")

    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        members = archive.read(f"{bank.slug}/members.csv").decode()
        assert sorted(archive.namelist()) == sorted(
            f"{bank.slug}/{name}" for name in
            ("README.txt", "members.csv", "listings.csv", "exchanges.csv", "balances.csv")
        )  # fmt: skip
    assert "Joyce Campbell" in members and "Someone Elsewhere" not in members


def test_the_example_files_can_be_downloaded_and_imported(client, session, bank, admin):
    sign_in_as(client, admin)
    names = ("members.csv", "listings.csv", "exchanges.csv", "balances.csv")
    files = [(name, client.get(f"/admin/import/examples/{name}").data) for name in names]

    checked = upload(client, *files)

    assert "This would add 5 members, 2 listings, 4 exchanges, 1 opening balances" in text(checked)
    assert client.get("/admin/import/examples/secrets.txt").status_code == 404
    assert session.scalar(sa.select(sa.func.count()).where(Transfer.bank_id == bank.id)) == 0


def test_checked_files_left_for_a_day_are_deleted_by_the_next_upload(app, client, bank, admin):
    sign_in_as(client, admin)
    stale = os.path.join(app.instance_path, "imports", "0" * 32)
    os.makedirs(stale)
    a_day_ago = time.time() - 24 * 60 * 60 - 60
    os.utime(stale, (a_day_ago, a_day_ago))

    upload(client, ("members.csv", MEMBERS))

    assert not os.path.exists(stale)
