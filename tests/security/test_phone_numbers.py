"""Phone numbers: letters are never read as digits, members' mobiles are mobiles of the
countries their bank allows, and a new number counts only once the code texted to it is typed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, sign_in_as
from tests.functional.ledger_pages import signed_in
from timebank.errors import InvalidInput
from timebank.members import mobile_change
from timebank.members.models import Member, MobileChange
from timebank.members.signin import request_sign_in_code
from timebank.membership.services import add_member
from timebank.membership.tokens import create_token
from timebank.phones import InvalidPhoneNumber, allowed_mobile, normalise_mobile
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import TimeBank

OLD = "+447450120567"
NEW = "+447450999888"


def profile_form(**changes: str) -> dict[str, str]:
    """Return the profile form as a browser sends it, with `changes`."""
    data = {"display_name": "Joyce Campbell", "mobile": "07450 120567", "sms_notifications": "y"}
    data.update(changes)
    return data


def texts_to(session, e164: str) -> list[OutboxMessage]:
    session.rollback()
    return list(
        session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to_e164 == e164).order_by(OutboxMessage.id)
        )
    )


def fresh(session, member: Member) -> Member:
    session.rollback()
    found = session.get(Member, member.id, populate_existing=True)
    assert found is not None
    return found


def code_texted_to(app, e164: str) -> str:
    text = app.extensions["timebank_sms"].last_to(e164)
    assert text is not None, f"nothing was texted to {e164}"
    return re.match(r"(\d{6}) ", text.body).group(1)


# --- Letters are refused, in every alphabet ------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "07450 ABCDEF",  # Latin: phonenumbers would read 07450 222333
        "07450 abcdef",
        "07450 12O567",  # a capital O for a zero
        "07450 12О567",  # a Cyrillic О
        "07450 12Ο567",  # a Greek Ο
        "０７４５０ ＡＢＣＤＥＦ",  # full-width letters
        "+44 7450 TAXI55",
        "07450 120567 ext 2",
    ],
)
def test_a_number_with_any_letter_is_refused_never_turned_into_digits(typed):
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalise_mobile(typed)
    assert "letters" in caught.value.message and "07123 456789" in caught.value.message


@pytest.mark.parametrize(
    "typed",
    [
        "０７４５０ １２０５６７",  # full-width digits, as a Japanese keyboard types them
        "٠٧٤٥٠ ١٢٠٥٦٧",  # Arabic-Indic digits
        "\u202a07450 120567\u202c",  # direction marks a phone's contacts app pastes
        "07450\u00a0120567",  # a no-break space
        "07450\u2013120567",  # an en dash, pasted from a letter
        "07450/120567",
    ],
)
def test_digits_of_any_script_are_read_as_the_digits_they_are(typed):
    assert normalise_mobile(typed) == OLD


@pytest.mark.parametrize("typed", ["07450 120567#", "07450 120567 ✆", "07450*120567"])
def test_other_signs_in_a_number_are_refused(typed):
    with pytest.raises(InvalidPhoneNumber):
        normalise_mobile(typed)


def test_a_member_typing_letters_on_their_profile_keeps_their_number_and_can_sign_in(
    app, client, session, bank
):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    sign_in_as(client, joyce)

    page = client.post("/profile/edit", data=profile_form(mobile="07450 ABCDEF", area="Lee"))

    text = page.get_data(as_text=True)
    assert "has letters in it" in text and 'value="07450 ABCDEF"' in text
    joyce = fresh(session, joyce)
    assert (joyce.mobile_e164, joyce.area) == (OLD, None)
    assert session.scalars(sa.select(MobileChange)).all() == []
    assert texts_to(session, "+447450222333") == []
    # Nobody can sign in (or get codes) with the number the letters would have made.
    request_sign_in_code(session, bank.id, bank.name, "07450 222333")
    assert texts_to(session, "+447450222333") == []
    with pytest.raises(InvalidPhoneNumber):
        request_sign_in_code(session, bank.id, bank.name, "07450 ABCDEF")
    assert sign_in_as(app.test_client(), joyce).status_code == 302


def test_a_broker_cannot_sign_up_a_member_with_letters_in_their_number(client, session, broker):
    sign_in_as(client, broker)

    page = client.post(
        "/broker/sign-up",
        data={"name": "Jane Doe", "mobile": "07812 JANEDO", "consent": "y"},
    )

    assert "has letters in it" in page.get_data(as_text=True)
    session.rollback()
    assert session.scalar(sa.select(Member).where(Member.display_name == "Jane Doe")) is None
    assert session.scalars(sa.select(OutboxMessage)).all() == []


# --- Only mobiles of the countries the bank allows -----------------------------------------


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("020 7946 0000", "is not a mobile number we can text"),  # a London landline
        ("0909 123 4567", "is not a mobile number we can text"),  # premium rate
        ("07000 123456", "is not a mobile number we can text"),  # a personal number
        ("+1 202 555 0123", "is a United States number"),
        ("+870 773 123456", "is not a mobile number we can text"),  # Inmarsat, by satellite
        ("+881 6 1234 5678", "is not a mobile number we can text"),  # Iridium
        ("07937 123456", "is a Jersey number"),
    ],
)
def test_a_bank_that_allows_uk_mobiles_refuses_every_other_number(typed, words):
    with pytest.raises(InvalidPhoneNumber) as caught:
        allowed_mobile(typed, ("GB",))
    assert words in caught.value.message
    assert "This must be a UK mobile number, like 07400 123456." in caught.value.message


def test_a_bank_can_allow_the_mobiles_of_more_than_one_country():
    assert allowed_mobile("085 012 3456", ("IE", "GB")) == "+353850123456"
    assert allowed_mobile("07450 120567", ("IE", "GB")) == OLD
    with pytest.raises(InvalidPhoneNumber) as caught:
        allowed_mobile("+33 6 12 34 56 78", ("IE", "GB"))
    assert "This must be a Ireland or UK mobile number" in caught.value.message


@pytest.mark.parametrize("typed", ["020 7946 0000", "+1 202 555 0123", "+870773123456"])
def test_a_broker_cannot_sign_up_a_member_with_a_number_we_cannot_text(
    app, client, session, broker, typed
):
    sign_in_as(client, broker)

    page = client.post(
        "/broker/sign-up", data={"name": "Jane Doe", "mobile": typed, "consent": "y"}
    )

    text = page.get_data(as_text=True)
    assert "This must be a UK mobile number" in text
    assert "we have texted" not in text.lower()
    session.rollback()
    assert session.scalar(sa.select(Member).where(Member.display_name == "Jane Doe")) is None
    assert app.extensions["timebank_sms"].sent == []


def test_the_api_refuses_to_sign_up_a_member_with_a_landline(app, session, bank, broker):
    token = create_token(session, bank.id, broker.id, "Tests")[1]

    response = app.test_client().post(
        "/api/v1/members",
        json={"name": "Jane Doe", "mobile": "020 7946 0000", "consent": True},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 422, response.json
    assert "This must be a UK mobile number" in response.get_data(as_text=True)
    session.rollback()
    assert session.scalar(sa.select(Member).where(Member.display_name == "Jane Doe")) is None


def test_every_way_of_adding_a_member_checks_the_bank_setting(session):
    uk = TimeBankFactory()
    irish = TimeBankFactory(mobile_regions="IE")
    with pytest.raises(InvalidInput):
        add_member(session, uk.id, "Sean Murphy", mobile="085 012 3456")
    session.rollback()
    sean = add_member(session, irish.id, "Sean Murphy", mobile="085 012 3456")
    assert sean.mobile_e164 == "+353850123456"
    with pytest.raises(InvalidInput):
        add_member(session, irish.id, "Jane Doe", mobile="07450 120567")


def test_the_bank_setting_is_set_with_the_bank_command(app, session):
    bank = TimeBankFactory(slug="lewisham")

    shown = app.test_cli_runner().invoke(args=["bank", "sms", "lewisham"])
    changed = app.test_cli_runner().invoke(
        args=["bank", "sms", "lewisham", "--mobile-countries", "gb, ie"]
    )
    refused = app.test_cli_runner().invoke(
        args=["bank", "sms", "lewisham", "--mobile-countries", "UK"]
    )

    assert "mobile countries: UK (GB)" in shown.output
    assert changed.exit_code == 0, changed.output
    assert "mobile countries: UK, Ireland (GB,IE)" in changed.output
    assert refused.exit_code != 0 and "UK is not a country code we know" in refused.output
    session.rollback()
    assert session.get(TimeBank, bank.id, populate_existing=True).mobile_regions == "GB,IE"


# --- A new number counts only once the code texted to it is typed --------------------------


def test_a_new_mobile_is_kept_waiting_until_the_code_texted_to_it_is_typed(app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    browser = signed_in(app, joyce)

    saved = browser.post("/profile/edit", data=profile_form(mobile="07450 999888", area="Lee"))

    assert saved.status_code == 302 and saved.headers["Location"].endswith("/profile/mobile")
    joyce = fresh(session, joyce)
    assert (joyce.mobile_e164, joyce.area) == (OLD, "Lee")  # other details are saved at once
    [code_text] = texts_to(session, NEW)
    assert code_text.purpose == "mobile_change_code"
    page = browser.get("/profile").get_data(as_text=True)
    assert "07450 999888 is waiting for the code" in page
    # Sign-in codes still go to the old number only.
    request_sign_in_code(session, bank.id, bank.name, "07450 999888")
    assert [t.purpose for t in texts_to(session, NEW)] == ["mobile_change_code"]

    done = browser.post("/profile/mobile", data={"code": code_texted_to(app, NEW)})

    assert done.status_code == 302
    assert fresh(session, joyce).mobile_e164 == NEW
    told = [t for t in texts_to(session, OLD) if t.purpose == "mobile_changed"]
    assert len(told) == 1 and "ending 888" in told[0].body and "999888" not in told[0].body
    assert "Your mobile number is now 07450 999888" in browser.get("/profile").get_data(
        as_text=True
    )


def test_a_wrong_code_changes_nothing_and_five_wrong_codes_end_the_change(app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    browser = signed_in(app, joyce)
    browser.post("/profile/edit", data=profile_form(mobile="07450 999888"))
    right = code_texted_to(app, NEW)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    first = browser.post("/profile/mobile", data={"code": wrong}).get_data(as_text=True)
    for _ in range(4):
        browser.post("/profile/mobile", data={"code": wrong})
    last = browser.post("/profile/mobile", data={"code": right})

    assert "That code is not right. You can try 4 more times." in first
    assert last.status_code == 302  # no change waits any more: back to the profile
    assert fresh(session, joyce).mobile_e164 == OLD


def test_a_code_cannot_be_used_after_it_expires(app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    browser = signed_in(app, joyce)
    browser.post("/profile/edit", data=profile_form(mobile="07450 999888"))
    code = code_texted_to(app, NEW)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=mobile_change.CODE_MINUTES + 1)

    with pytest.raises(mobile_change.MobileCodeRefused):
        mobile_change.confirm_mobile_change(session, bank.id, joyce.id, code, now=lambda: later)

    assert fresh(session, joyce).mobile_e164 == OLD


def test_another_members_code_does_nothing_for_you(app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    sam = MemberFactory(bank=bank, display_name="Sam Okafor", mobile="07508 128486")
    signed_in(app, joyce).post("/profile/edit", data=profile_form(mobile="07450 999888"))
    code = code_texted_to(app, NEW)

    page = signed_in(app, sam).post("/profile/mobile", data={"code": code})

    assert page.status_code == 302  # Sam has no change waiting
    assert fresh(session, sam).mobile_e164 == "+447508128486"
    assert fresh(session, joyce).mobile_e164 == OLD


def test_a_number_someone_else_took_meanwhile_is_not_switched_to(app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    browser = signed_in(app, joyce)
    browser.post("/profile/edit", data=profile_form(mobile="07450 999888"))
    code = code_texted_to(app, NEW)
    MemberFactory(bank=bank, display_name="Sam Okafor", mobile="07450 999888")

    page = browser.post("/profile/mobile", data={"code": code}).get_data(as_text=True)

    assert "Someone in this time bank already has that mobile number." in page
    assert fresh(session, joyce).mobile_e164 == OLD


def test_a_member_cannot_make_the_bank_text_codes_to_a_number_again_and_again(app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    browser = signed_in(app, joyce)
    for _ in range(mobile_change.CODES_PER_HOUR):
        browser.post("/profile/edit", data=profile_form(mobile="07450 999888"))

    page = browser.post("/profile/edit", data=profile_form(mobile="07450 999888"))

    assert "Please wait an hour" in page.get_data(as_text=True)
    assert len(texts_to(session, NEW)) == mobile_change.CODES_PER_HOUR


def test_the_code_for_a_new_number_is_kept_only_as_a_hash(app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    signed_in(app, joyce).post("/profile/edit", data=profile_form(mobile="07450 999888"))
    code = code_texted_to(app, NEW)

    [change] = session.scalars(sa.select(MobileChange)).all()

    assert code not in (change.code_hash, change.salt) and len(change.code_hash) == 64
    # Once sent, the text's body no longer holds the code either.
    assert all(code not in text.body for text in texts_to(session, NEW))


def test_a_suspended_member_cannot_finish_changing_their_number(app, session, bank):
    from timebank.membership.services import set_member_status

    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    signed_in(app, joyce).post("/profile/edit", data=profile_form(mobile="07450 999888"))
    code = code_texted_to(app, NEW)
    set_member_status(session, bank.id, joyce.id, "suspended")

    with pytest.raises(mobile_change.MobileCodeRefused):
        mobile_change.confirm_mobile_change(session, bank.id, joyce.id, code)

    assert fresh(session, joyce).mobile_e164 == OLD


def test_erasing_a_member_forgets_the_numbers_they_asked_to_change_to(app, session, bank):
    from timebank.membership.privacy import erase_member
    from timebank.membership.services import set_member_status

    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    signed_in(app, joyce).post("/profile/edit", data=profile_form(mobile="07450 999888"))
    set_member_status(session, bank.id, joyce.id, "left")

    erase_member(session, bank.id, joyce.id)

    session.rollback()
    assert session.scalars(sa.select(MobileChange.new_e164)).all() == []
