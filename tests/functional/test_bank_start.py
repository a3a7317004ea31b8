"""Starting a time bank: `flask bank create` with its first admin, and their one-time way in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.functional.test_web_sign_in import app_with
from timebank.members.models import Member, SignInCode
from timebank.members.sign_in_links import sign_in_with_link
from timebank.members.signin import CodeNotAccepted
from timebank.membership.services import set_member_status
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import TimeBank

ADMIN = ["--admin-name", "Ada Lovelace", "--admin-mobile", "07956 000001"]


def create(app, *args):
    return app.test_cli_runner().invoke(args=["bank", "create", *args])


def printed_link(output: str) -> str:
    found = re.search(r"http://\S+/sign-in/link/(\S+)", output)
    assert found is not None, output
    return found.group(0)


def counts(session) -> tuple[int, int, int, int]:
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in (TimeBank, Member, SignInCode, OutboxMessage)
    )


def test_a_bank_without_texts_gets_its_admin_and_a_printed_sign_in_link(app, session, client):
    result = create(app, "green", "Green Time Bank", *ADMIN)
    assert result.exit_code == 0, result.output
    assert "Created time bank green" in result.output
    assert "Give Ada Lovelace (07956 000001) this sign-in link" in result.output
    admin = session.scalars(sa.select(Member)).one()
    assert (admin.role, admin.status, admin.mobile_e164) == ("admin", "active", "+447956000001")
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

    path = printed_link(result.output).removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    assert page.status_code == 200 and b"Sign in to your time bank" in page.data
    response = client.post(path)
    assert response.status_code == 302 and response.location.endswith("/password")
    assert b"Ada" in client.get("/home").data


def test_a_sign_in_link_works_once(app, client):
    path = printed_link(create(app, "green", "Green Time Bank", *ADMIN).output)
    path = path.removeprefix("http://127.0.0.1:8000")
    assert client.post(path).status_code == 302
    client.post("/sign-out")
    again = client.post(path)
    assert again.status_code == 200 and b"expired or was already used" in again.data


def test_opening_the_link_page_does_not_use_the_link(app, client):
    path = printed_link(create(app, "green", "Green Time Bank", *ADMIN).output)
    path = path.removeprefix("http://127.0.0.1:8000")
    client.get(path)
    client.get(path)
    assert client.post(path).status_code == 302


def key_of(output: str) -> str:
    return printed_link(output).rsplit("/", 1)[1]


def test_a_link_expires_and_a_tampered_one_never_works(app, session):
    key = key_of(create(app, "green", "Green Time Bank", *ADMIN).output)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=24, minutes=1)
    with pytest.raises(CodeNotAccepted, match="expired or was already used"):
        sign_in_with_link(session, key, now=lambda: later)
    token = key.split(".")[0]
    with pytest.raises(CodeNotAccepted):
        sign_in_with_link(session, f"{token}.{'x' * 43}")
    assert session.get(SignInCode, token).failed_attempts == 1
    assert sign_in_with_link(session, key).display_name == "Ada Lovelace"


def test_a_six_digit_guess_is_never_taken_as_a_link(app, session):
    key = key_of(create(app, "green", "Green Time Bank", *ADMIN).output)
    with pytest.raises(CodeNotAccepted):
        sign_in_with_link(session, key.split(".")[0] + ".123456")


def test_a_suspended_admin_cannot_use_their_link(app, session):
    key = key_of(create(app, "green", "Green Time Bank", *ADMIN).output)
    admin = session.scalars(sa.select(Member)).one()
    set_member_status(session, admin.bank_id, admin.id, "suspended")
    with pytest.raises(CodeNotAccepted):
        sign_in_with_link(session, key)


def test_a_bank_with_a_number_texts_its_admin_a_code_that_signs_them_in(app, session, client):
    result = create(app, "green", "Green Time Bank", *ADMIN, "--sms-number", "07400 000000")
    assert result.exit_code == 0, result.output
    assert "Texted Ada Lovelace (07956 000001) a one-time sign-in code." in result.output
    assert "/sign-in/link/" not in result.output
    text = session.scalars(sa.select(OutboxMessage)).one()
    assert (text.to_e164, text.purpose) == ("+447956000001", "sign_in_code")
    code, url = re.match(r"(\d{6}) is your code .* Open (\S+) and type it", text.body).groups()
    assert "Green Time Bank" in text.body and "24 hours" in text.body

    page = client.get(url.removeprefix("http://127.0.0.1:8000"), follow_redirects=True)
    assert b"from the text that invited you" in page.data
    response = client.post("/sign-in/code/enter", data={"code": code})
    assert response.status_code == 302 and response.location.endswith("/password")


def test_an_install_whose_texts_go_only_to_the_log_prints_a_link(database_url):
    with app_with(database_url, SMS_BACKEND="console") as app:
        result = create(app, "green", "Green Time Bank", *ADMIN, "--sms-number", "07400 000000")
    assert result.exit_code == 0, result.output
    assert "/sign-in/link/" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Not A Slug", "Green", *ADMIN], "3 to 60 lower-case letters"),
        (["green", "Green", "--admin-name", "Ada", "--admin-mobile", "07956 12"], "07956 12"),
        (["green", "Green", "--admin-name", "Ada", "--admin-mobile", "020 7946 0000"],
         "not a mobile number"),
        (["green", "Green", "--admin-name", " ", "--admin-mobile", "07956 000001"], "a name"),
        (["green", "Green", *ADMIN, "--sms-number", "123"], "phone number"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_in_plain_words_and_writes_nothing(app, session, args, message):
    result = create(app, *args)
    assert result.exit_code == 1 and message in result.output, result.output
    assert counts(session) == (0, 0, 0, 0)


def test_a_taken_short_name_is_refused_and_the_other_bank_is_untouched(app, session):
    TimeBankFactory(slug="green")
    before = counts(session)
    result = create(app, "green", "Green again", *ADMIN)
    assert result.exit_code == 1 and "already a time bank called green" in result.output
    assert counts(session) == before


def test_admin_name_and_mobile_are_required(app):
    result = create(app, "green", "Green Time Bank")
    assert result.exit_code == 2 and "--admin-name" in result.output


def test_an_admin_can_be_invited_again_when_the_link_was_lost(app, session, client):
    create(app, "green", "Green Time Bank", *ADMIN)
    result = app.test_cli_runner().invoke(args=["bank", "invite", "green"])
    assert result.exit_code == 0, result.output
    path = printed_link(result.output).removeprefix("http://127.0.0.1:8000")
    assert client.post(path).status_code == 302


def test_inviting_someone_who_is_not_an_admin_is_refused(app):
    create(app, "green", "Green Time Bank", *ADMIN)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bank", "invite", "green", "--mobile", "07956 000002"])
    assert result.exit_code == 1 and "no active admin with that mobile" in result.output
    result = runner.invoke(args=["bank", "invite", "blue"])
    assert result.exit_code == 1 and "no time bank called blue" in result.output
