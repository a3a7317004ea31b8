"""Every CSV the app writes is safe in a spreadsheet; bad JSON and long URLs get our answer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest

from tests.factories import ListingFactory, MemberFactory
from tests.functional.ledger_pages import give, signed_in
from timebank.csvfile import csv_text, unguard
from timebank.ledger.queries import today_in

# What a spreadsheet could run as a formula, each as someone might type it.
FORMULAS = ['=HYPERLINK("http://evil.example","Click")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("typed", FORMULAS)
def test_the_one_writer_guards_every_formula_start_and_gives_it_back_unchanged(typed):
    [[cell]] = read(csv_text([[typed]]))
    assert cell == "'" + typed
    assert unguard(cell) == typed


def test_the_one_writer_leaves_plain_text_and_the_apps_own_numbers_alone():
    [row] = read(csv_text([["Joyce Campbell", -90, 0, None, "'quoted"]]))
    assert row == ["Joyce Campbell", "-90", "0", "", "''quoted"]


def test_the_one_writer_refuses_true_and_false_so_answers_are_always_words():
    with pytest.raises(TypeError):
        csv_text([[True]])


def my_data_files(client) -> dict[str, list[list[str]]]:
    response = client.get("/profile/my-data/my-data.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return {name: read(archive.read(name).decode()) for name in archive.namelist()}


def test_a_members_own_data_export_guards_what_people_typed(app, bank):
    member = MemberFactory(bank=bank, display_name=FORMULAS[0], area="-2")
    other = MemberFactory(bank=bank, display_name="@SUM(A1)")
    # The services trim leading tabs and returns, so those reach the writer only in its own test.
    ListingFactory(member=member, title="+1 cup of tea", availability="@noon")
    give(other, member, 90, by=member, description='=HYPERLINK("http://evil.example")')
    files = my_data_files(signed_in(app, member))
    cells = [cell for rows in files.values() for row in rows for cell in row]
    for typed in (FORMULAS[0], "-2", "@SUM(A1)", "+1 cup of tea", "@noon"):
        assert typed not in cells, typed
        assert "'" + typed in cells, typed
    assert '\'=HYPERLINK("http://evil.example")' in cells
    account = dict(row for row in files["account.csv"][1:])
    # A balance the app wrote stays a number a spreadsheet can add up.
    assert account["Balance in minutes"] == "-90"


def test_a_report_csv_guards_text_and_keeps_its_numbers(app, bank, broker):
    joyce, sam = MemberFactory(bank=bank), MemberFactory(bank=bank)
    today = today_in(bank.timezone)
    give(joyce, sam, 60, by=sam, happened_on=today, skill_category=FORMULAS[0])
    response = signed_in(app, broker).get(
        "/reports/exchanges_by_category.csv",
        query_string={"from": (today - dt.timedelta(days=1)).isoformat(), "to": today.isoformat()},
    )
    assert response.status_code == 200
    rows = read(response.get_data(as_text=True))
    row = next(r for r in rows if r[0].endswith(FORMULAS[0]))
    assert row[0] == "'" + FORMULAS[0]
    assert "1.00" in row and "60" in row
