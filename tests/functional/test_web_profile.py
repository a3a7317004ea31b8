"""Your profile on the web: see and change your details, and what other members see."""

from __future__ import annotations

import re

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory, sign_in_as


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)


def profile_form(**changes: str) -> dict[str, str]:
    """Return a complete profile form as a browser would send it, with `changes`."""
    data = {
        "display_name": "Joyce Campbell",
        "mobile": "07450 120567",
        "email": "",
        "area": "Catford",
        "skills": "Shopping, a chat over tea",
        "help_wanted": "Changing light bulbs",
        "availability": "Weekday afternoons",
        "sms_notifications": "y",
        "show_area": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_profile_shows_the_members_details_and_links_to_change_password(client, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    sign_in_as(client, joyce)

    page = client.get("/profile")

    text = page.get_data(as_text=True)
    assert h1s(page) == ["Your profile"]
    assert "Joyce Campbell" in text and "07450 120567" in text
    assert 'href="/password"' in text and 'href="/profile/my-data"' in text


def test_member_changes_their_details_and_sharing_choices(client, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    sign_in_as(client, joyce)
    assert h1s(client.get("/profile/edit")) == ["Change your details"]

    response = client.post(
        "/profile/edit",
        data=profile_form(mobile="+44 7450 999888", email="Joyce@Example.org", show_mobile="y",
                          sms_notifications=None, show_area=None),
        follow_redirects=True,
    )  # fmt: skip

    session.refresh(joyce)
    assert "Your profile is saved" in response.get_data(as_text=True)
    # A new mobile waits for the code texted to it (tests/security/test_phone_numbers.py).
    assert "We have texted a code to 07450 999888" in response.get_data(as_text=True)
    assert joyce.mobile_e164 == "+447450120567" and joyce.email == "joyce@example.org"
    assert (joyce.area, joyce.skills, joyce.availability) == (
        "Catford",
        "Shopping, a chat over tea",
        "Weekday afternoons",
    )
    assert (joyce.sms_notifications, joyce.show_mobile, joyce.show_area) == (False, True, False)


def test_an_invalid_mobile_keeps_what_was_typed_and_saves_nothing(client, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    sign_in_as(client, joyce)

    response = client.post(
        "/profile/edit", data=profile_form(mobile="0745", skills="Knitting lessons")
    )

    text = response.get_data(as_text=True)
    session.refresh(joyce)
    assert "<title>Error: Change your details" in text
    assert 'href="#mobile"' in text and "is not a valid phone number" in text
    assert 'value="0745"' in text and "Knitting lessons" in text
    assert joyce.mobile_e164 == "+447450120567" and joyce.skills == ""


def test_a_mobile_another_member_has_is_refused_beside_the_field(client, session, bank):
    MemberFactory(bank=bank, mobile="07508 128486")
    joyce = MemberFactory(bank=bank, mobile="07450 120567")
    sign_in_as(client, joyce)

    response = client.post("/profile/edit", data=profile_form(mobile="07508128486"))

    text = response.get_data(as_text=True)
    assert "already has that mobile number" in text and 'id="mobile-error"' in text
    session.refresh(joyce)
    assert joyce.mobile_e164 == "+447450120567"


def test_an_empty_name_is_refused(client, bank):
    sign_in_as(client, MemberFactory(bank=bank))

    response = client.post("/profile/edit", data=profile_form(display_name=" "))

    text = response.get_data(as_text=True)
    assert "Enter your name." in text and 'href="#display_name"' in text


def test_public_profile_hides_the_phone_number_unless_the_member_shows_it(client, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567",
                          area="Catford")  # fmt: skip
    joyce.skills = "Shopping"
    session.commit()
    ListingFactory(member=joyce, title="Weekly shop")
    sign_in_as(client, MemberFactory(bank=bank))

    hidden = client.get(f"/members/{joyce.id}")
    joyce.show_mobile, joyce.show_area = True, False
    session.commit()
    shown = client.get(f"/members/{joyce.id}").get_data(as_text=True)

    text = hidden.get_data(as_text=True)
    assert h1s(hidden) == ["Joyce Campbell"]
    assert "120567" not in text and "Catford" in text and "Weekly shop" in text
    assert "07450 120567" in shown and "Catford" not in shown


def test_another_banks_member_profile_answers_404(client, bank):
    stranger = MemberFactory(bank=TimeBankFactory())
    sign_in_as(client, MemberFactory(bank=bank))

    assert client.get(f"/members/{stranger.id}").status_code == 404


def test_profile_pages_need_signing_in(client):
    for path in ("/profile", "/profile/edit", "/profile/my-data", "/members/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path
