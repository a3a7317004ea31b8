"""Every CSV the app writes is safe in a spreadsheet; bad JSON and long URLs get our answer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
import zipfile

import pytest

from tests.factories import ListingFactory, MemberFactory
from tests.functional.ledger_pages import OwnContextClient, give, signed_in
from timebank.csvfile import csv_text, unguard
from timebank.extensions import db
from timebank.membership.tokens import create_token
from timebank.tenancy.days import today_in_zone

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
    today = today_in_zone(bank.timezone)
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


# Malformed JSON: every JSON endpoint answers 400 problem+json, never 500.

HUGE_NUMBER = b'{"minutes": ' + b"7" * 5000 + b"}"
DEEP_NESTING = b'{"minutes": ' + b"[" * 3000 + b"]" * 3000 + b"}"
BAD_BODIES = {"an integer of 5,000 digits": HUGE_NUMBER, "nesting 3,000 deep": DEEP_NESTING}
SAMPLE_ARGUMENTS = {"integer": 1, "uuid": uuid.UUID(int=1), "unicode": "x", "path": "x"}


def takes_json(view) -> bool:
    """Tell whether an API view reads a JSON body (flask-smorest notes its arguments)."""
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(parameter.get("in") == "json" for parameter in parameters)


def json_write_routes(app, *, json_only: bool = True) -> list[tuple[str, str]]:
    """Return (method, url) for every POST, PUT and PATCH route of the API that reads JSON."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        if json_only and not takes_json(app.view_functions[rule.endpoint]):
            continue
        values = {
            name: SAMPLE_ARGUMENTS[type(converter).__name__.removesuffix("Converter").lower()]
            for name, converter in rule._converters.items()
        }
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            found.append((method, adapter.build(rule.endpoint, values, method=method)))
    return found


def test_the_api_has_json_write_routes_to_check(app):
    urls = [url for _, url in json_write_routes(app)]
    assert "/api/v1/transfers" in urls and "/api/v1/group-exchanges" in urls
    assert len(urls) >= len(json_write_routes(app, json_only=False)) - 1


@pytest.mark.parametrize("body_name", sorted(BAD_BODIES))
def test_every_json_endpoint_answers_malformed_json_with_a_400_problem(
    app, bank, admin, practice, body_name
):
    # An admin's token may call every route but a practice's own; a practice token, those.
    tokens = [
        create_token(db.session, bank.id, admin.id, "Checks")[1],
        create_token(db.session, bank.id, admin.id, "Surgery", partner_id=practice.id)[1],
    ]
    client = OwnContextClient(app, app.response_class)
    app.config["RATELIMIT_ENABLED"] = False
    for method, url in json_write_routes(app):
        for token in tokens:
            response = client.open(
                url,
                method=method,
                data=BAD_BODIES[body_name],
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
            )
            if response.status_code != 403:
                break
        assert response.status_code == 400, (method, url, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json", (method, url)
        assert "could not be read as JSON" in response.get_json()["detail"], (method, url)


def test_ordinary_bad_json_still_gets_the_usual_400(app, bank):
    member = MemberFactory(bank=bank)
    token = create_token(db.session, bank.id, member.id, "Phone app")[1]
    client = OwnContextClient(app, app.response_class)
    response = client.post(
        "/api/v1/transfers",
        data=b'{"minutes": ',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


# A very long web address gets our own "too long" answer.


def test_a_very_long_web_address_gets_our_own_plain_page(client):
    response = client.get("/offers?q=" + "a" * 5000)
    assert response.status_code == 414
    page = response.get_data(as_text=True)
    assert "That web address is too long" in page and "Go to the start" in page


def test_a_very_long_api_address_gets_a_problem(client):
    response = client.get("/api/v1/transfers?cursor=" + "a" * 5000)
    assert response.status_code == 414
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "too_long"


def test_an_address_just_within_the_limit_is_answered_as_usual(client):
    path = "/sign-in?next=/"
    response = client.get(path + "a" * (2000 - len(path)))
    assert response.status_code == 200
