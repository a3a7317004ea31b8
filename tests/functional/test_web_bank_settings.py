"""The admin's settings page: every bank setting in one form, checked, applied and audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, record_help, sign_in_as
from tests.functional.ledger_pages import OwnContextClient
from tests.functional.test_web_sign_in import app_with
from timebank.ledger.models import Account
from timebank.members.signin import set_password
from timebank.tenancy.models import BrokerAction, TimeBank

PAGE = "/admin/settings"


def form_of(bank: TimeBank, **changes: str) -> dict[str, str]:
    values = {
        "name": bank.name,
        "overdraft_hours": "10",
        "max_balance_hours": "",
        "largest_exchange_hours": "12",
        "confirm_days": "14",
        "exchange_past_days": "90",
        "on_expiry": "confirm",
        "timezone": "Europe/London",
        "sms_number": "",
        "sms_sender": "",
        "reply_days": "14",
        "retention_days": "90",
        "mobile_countries": "GB",
    }
    return {**values, **changes}


def fresh(session, bank) -> TimeBank:
    session.rollback()
    session.expire_all()
    return session.get(TimeBank, bank.id)


def audit(session, bank) -> list[str]:
    query = sa.select(BrokerAction.detail).where(
        BrokerAction.bank_id == bank.id, BrokerAction.action == "setting_changed"
    )
    return list(session.scalars(query.order_by(BrokerAction.id)))


def test_an_admin_sees_the_settings_filled_in(client, bank, admin):
    sign_in_as(client, admin)
    page = client.get(PAGE).get_data(as_text=True)
    assert f'value="{bank.name}"' in page and 'value="Europe/London"' in page
    assert "£13.90" in page and "/admin/hourly-value" in page


def test_an_admin_changes_settings_and_each_change_is_audited(client, session, bank, admin):
    sign_in_as(client, admin)
    form = form_of(
        bank,
        name="Green Time Bank",
        max_balance_hours="40",
        on_expiry="escalate",
        timezone="Europe/Dublin",
        sms_number="07400 000000",
        mobile_countries="gb, ie",
    )
    response = client.post(PAGE, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = fresh(session, bank)
    assert (saved.name, saved.max_balance_minutes, saved.on_expiry, saved.timezone) == (
        "Green Time Bank",
        2400,
        "escalate",
        "Europe/Dublin",
    )
    assert (saved.sms_number, saved.mobile_regions) == ("+447400000000", "GB,IE")
    lines = audit(session, bank)
    assert len(lines) == 6
    assert "maximum balance: none to 40 hours" in lines
    assert "countries of members' mobiles: UK to UK, Ireland" in lines
    limits = session.execute(
        sa.select(Account.max_balance).where(Account.member_id == admin.id)
    ).scalar_one()
    assert limits == 2400


def test_saving_without_changes_writes_nothing(client, session, bank, admin):
    sign_in_as(client, admin)
    client.post(PAGE, data=form_of(bank))
    assert audit(session, bank) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "Mars/Olympus is not a time zone we know"),
        ("timezone", "../../etc/passwd", "is not a time zone we know"),
        ("overdraft_hours", "-3", "from 0 to 1000"),
        ("max_balance_hours", "0", "from 1 to 100000"),
        ("confirm_days", "two", "from 1 to 365"),
        ("sms_number", "12345", "not a valid phone number"),
        ("mobile_countries", "XX", "XX is not a country code we know"),
        ("name", " ", "Give the time bank a name"),
    ],
)
def test_a_wrong_setting_is_named_in_plain_words_and_nothing_is_saved(
    client, session, bank, admin, field, value, message
):
    sign_in_as(client, admin)
    response = client.post(PAGE, data=form_of(bank, **{"name": "Changed", field: value}))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert fresh(session, bank).name == bank.name
    assert audit(session, bank) == []


def test_the_overdraft_cannot_go_below_what_someone_already_owes(client, session, bank, admin):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    record_help(session, sam, jo, minutes=300)
    sign_in_as(client, admin)
    response = client.post(PAGE, data=form_of(bank, overdraft_hours="4"))
    assert b"1 member(s) already owe more than 4 hours" in response.data
    assert fresh(session, bank).overdraft_minutes == -600
    assert client.post(PAGE, data=form_of(bank, overdraft_hours="5")).status_code == 302
    lows = set(
        session.scalars(sa.select(Account.min_balance).where(Account.member_id.is_not(None)))
    )
    assert lows == {-300}


def test_the_maximum_cannot_go_below_what_someone_already_has(client, session, bank, admin):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    record_help(session, sam, jo, minutes=180)
    sign_in_as(client, admin)
    response = client.post(PAGE, data=form_of(bank, max_balance_hours="2"))
    assert b"1 member(s) already have more than 2 hours" in response.data


def test_another_banks_number_cannot_be_taken(client, session, bank, admin):
    TimeBankFactory(slug="other", sms_number="+447400000000")
    sign_in_as(client, admin)
    response = client.post(PAGE, data=form_of(bank, sms_number="07400000000"))
    assert b"already the number of the time bank other" in response.data


def test_brokers_and_members_cannot_open_the_settings(client, bank, broker):
    sign_in_as(client, broker)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data=form_of(bank, name="Mine")).status_code == 403


def test_an_admin_changes_only_their_own_bank(client, session, bank, admin):
    other = TimeBankFactory(name="Other Time Bank")
    sign_in_as(client, admin)
    client.post(PAGE, data=form_of(bank, name="Renamed"))
    assert fresh(session, other).name == "Other Time Bank"
    assert fresh(session, bank).name == "Renamed"


def csrf_token_on(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_the_settings_form_needs_its_csrf_token(database_url, session, bank, admin):
    set_password(session, bank.id, admin.id, "blue kettle garden")
    with app_with(database_url, WTF_CSRF_ENABLED=True) as app:
        client = OwnContextClient(app, app.response_class, use_cookies=True)
        sign_in = {
            "bank": bank.slug,
            "identifier": "07956 000001",
            "password": "blue kettle garden",
        }
        sign_in["csrf_token"] = csrf_token_on(client, "/sign-in")
        assert client.post("/sign-in", data=sign_in).status_code == 302
        forged = client.post(PAGE, data=form_of(bank, name="Forged"))
        assert forged.status_code == 400
        token = csrf_token_on(client, PAGE)
        honest = client.post(PAGE, data={**form_of(bank, name="Honest"), "csrf_token": token})
        assert honest.status_code == 302
    assert fresh(session, bank).name == "Honest"
