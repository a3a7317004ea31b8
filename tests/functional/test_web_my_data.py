"""My data on the web: what is held, a readable copy and spreadsheets to download."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

from tests.factories import ListingFactory, MemberFactory, sign_in_as
from tests.functional.ledger_pages import give
from timebank.members.signin import request_sign_in_code


def joyce_with_history(client, session, bank):
    """Return Joyce, signed in, who gave Dorothy help and answered her request."""
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer", mobile="07508 128486")
    dorothy.email = "dorothy@example.org"
    session.commit()
    transfer = give(
        joyce,
        dorothy,
        90,
        by=dorothy,  # recorded by the receiver, so it posts at once
        happened_on=dt.date.today(),
        description="Weeding the front garden",
        skill_category="Gardening",
    )
    request = ListingFactory(member=dorothy, kind="request", title="Help with bulbs")
    ListingFactory(member=joyce, title="Shopping trips")
    request_sign_in_code(session, bank.id, bank.name, "07450 120567")
    sign_in_as(client, joyce)
    client.post(f"/offers/{request.id}/contact", data={"message": "Saturday suits me"})
    return joyce, transfer


def test_my_data_page_explains_what_is_held_with_downloads(client, bank):
    sign_in_as(client, MemberFactory(bank=bank))

    page = client.get("/profile/my-data")

    text = page.get_data(as_text=True)
    assert re.findall(r"<h1>(.*?)</h1>", text) == ["Your data"]
    assert 'href="/profile/my-data/my-data.txt"' in text
    assert 'href="/profile/my-data/my-data.zip"' in text


def test_readable_copy_holds_profile_transfers_offers_contacts_and_texts(client, session, bank):
    _, transfer = joyce_with_history(client, session, bank)

    response = client.get("/profile/my-data/my-data.txt")

    text = response.get_data(as_text=True)
    disposition = response.headers["Content-Disposition"]
    assert response.mimetype == "text/plain"
    assert disposition.startswith('attachment; filename="my-data-joyce-campbell-')
    assert disposition.endswith('.txt"')
    assert "Name: Joyce Campbell" in text and "+447450120567" in text
    assert str(transfer.id) in text and "Weeding the front garden" in text
    assert "1 hour 30 minutes" in text and "Received by: Dorothy Palmer" in text
    assert "Shopping trips" in text and "Saturday suits me" in text
    assert "sign-in code" in text.lower()


def test_downloads_hold_no_other_members_private_details(client, session, bank):
    joyce_with_history(client, session, bank)

    text = client.get("/profile/my-data/my-data.txt").get_data(as_text=True)
    archive = client.get("/profile/my-data/my-data.zip").get_data()

    everything = text + "".join(
        zipfile.ZipFile(io.BytesIO(archive)).read(name).decode()
        for name in zipfile.ZipFile(io.BytesIO(archive)).namelist()
    )
    assert "128486" not in everything and "dorothy@example.org" not in everything


def test_no_copy_ever_holds_a_sign_in_code(app, client, session, bank):
    joyce_with_history(client, session, bank)
    code = re.search(r"\b(\d{6})\b", app.extensions["timebank_sms"].sent[0].body)
    text = client.get("/profile/my-data/my-data.txt").get_data(as_text=True)

    assert code is not None
    assert code.group(1) not in text


def test_spreadsheets_come_as_a_zip_of_csv_files(client, session, bank):
    _, transfer = joyce_with_history(client, session, bank)

    response = client.get("/profile/my-data/my-data.zip")

    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert set(archive.namelist()) == {
        "profile.csv",
        "account.csv",
        "transfers.csv",
        "offers_and_requests.csv",
        "contacts.csv",
        "texts.csv",
        "texts_received.csv",
        "sign_in_codes.csv",
        "sign_ins.csv",
        "outcome_consent.csv",
        "outcome_answers.csv",
    }
    transfers = list(csv.DictReader(io.StringIO(archive.read("transfers.csv").decode())))
    assert [(row["Id"], row["Minutes"], row["Given by"]) for row in transfers] == [
        (str(transfer.id), "90", "Joyce Campbell")
    ]
    codes = list(csv.DictReader(io.StringIO(archive.read("sign_in_codes.csv").decode())))
    assert len(codes) == 1 and set(codes[0]) == {
        "Asked for",
        "Why",
        "Expired",
        "Used",
        "Wrong tries",
    }
