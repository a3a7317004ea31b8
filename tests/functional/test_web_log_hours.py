"""Logging hours on the web: with one person, for a group, and by a broker for two others."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import (
    balance,
    date_fields,
    give,
    hidden_value,
    one_h1,
    signed_in,
    text_of,
    transfer_count,
)
from timebank.extensions import db
from timebank.ledger.models import Transfer
from timebank.membership.services import set_member_status
from timebank.tenancy.days import today_in_zone


def details(bank, direction="gave", duration="90", **changes):
    data = {
        "direction": direction,
        "duration": duration,
        **date_fields(today_in_zone(bank.timezone)),
        "skill_category": "Gardening",
        "note": "Weeding the front beds",
    }
    data.update(changes)
    return data


def log_up_to_check(client, bank, partner, **changes):
    """Choose `partner`, fill in the details and return the check page."""
    assert client.post("/log", data={"member": str(partner.id)}).status_code == 302
    response = client.post("/log/details", data=details(bank, **changes))
    assert response.status_code == 302, text_of(response)
    return client.get("/log/check")


def submit_check(client, page):
    return client.post("/log/check", data={"transfer_id": hidden_value(page, "transfer_id")})


def test_giving_hours_waits_for_the_receiver_and_their_balance_does_not_move(
    app, bank, joyce, sam, as_joyce
):
    check = log_up_to_check(as_joyce, bank, sam)
    done = as_joyce.get(submit_check(as_joyce, check).headers["Location"])
    assert "You gave Sam Green 1 hour 30 minutes for gardening. Sam needs to confirm it." in (
        text_of(done)
    )
    assert one_h1(done) == "Hours logged"
    assert (balance(joyce), balance(sam)) == (0, 0)
    transfer = db.session.scalars(sa.select(Transfer)).one()
    assert (transfer.phase, transfer.amount) == ("pending", 90)
    assert transfer.skill_category == "Gardening"
    assert transfer.description == "Weeding the front beds"
    home = signed_in(app, sam).get("/home")
    assert "Joyce Campbell says they gave you 1 hour 30 minutes for gardening" in text_of(home)


def test_receiving_hours_posts_at_once(bank, joyce, sam, as_joyce):
    check = log_up_to_check(as_joyce, bank, sam, direction="received", duration="60")
    assert "Sam Green helped you" in text_of(check)
    done = as_joyce.get(submit_check(as_joyce, check).headers["Location"])
    assert "Sam Green gave you 1 hour for gardening. It is now in both your balances." in (
        text_of(done)
    )
    assert (balance(joyce), balance(sam)) == (-60, 60)


def test_other_duration_takes_hours_and_minutes(bank, sam, as_joyce):
    check = log_up_to_check(as_joyce, bank, sam, duration="other", hours="2", mins="15")
    assert "2 hours 15 minutes" in text_of(check)
    submit_check(as_joyce, check)
    assert db.session.scalar(sa.select(Transfer.amount)) == 135


def test_pressing_log_these_hours_twice_records_once(bank, sam, as_joyce):
    check = log_up_to_check(as_joyce, bank, sam)
    first = submit_check(as_joyce, check)
    second = submit_check(as_joyce, check)
    assert first.headers["Location"] == second.headers["Location"]
    assert transfer_count() == 1


def test_going_back_and_submitting_again_records_once(bank, sam, as_joyce):
    check = log_up_to_check(as_joyce, bank, sam)
    first = submit_check(as_joyce, check)
    # Back to the details page, the same answers again, then the check page again.
    assert as_joyce.get("/log/details").status_code == 200
    assert as_joyce.post("/log/details", data=details(bank)).status_code == 302
    again = submit_check(as_joyce, as_joyce.get("/log/check"))
    assert again.headers["Location"] == first.headers["Location"]
    # Starting a new log and then submitting the old page shows the first result too.
    as_joyce.get("/log")
    stale = submit_check(as_joyce, check)
    assert stale.headers["Location"] == first.headers["Location"]
    assert transfer_count() == 1


def test_changing_the_details_after_the_check_page_uses_a_new_id(bank, sam, as_joyce):
    first_check = log_up_to_check(as_joyce, bank, sam)
    assert as_joyce.post("/log/details", data=details(bank, duration="60")).status_code == 302
    second_check = as_joyce.get("/log/check")
    assert hidden_value(first_check, "transfer_id") != hidden_value(second_check, "transfer_id")
    stale = submit_check(as_joyce, first_check)
    assert stale.headers["Location"].endswith("/log/check")
    assert transfer_count() == 0
    submit_check(as_joyce, second_check)
    assert db.session.scalar(sa.select(Transfer.amount)) == 60


def test_missing_answers_show_the_error_summary_keep_what_was_typed_and_write_nothing(
    bank, sam, as_joyce
):
    as_joyce.post("/log", data={"member": str(sam.id)})
    response = as_joyce.post(
        "/log/details",
        data=details(bank, duration="", skill_category="", note="Kept this note"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Tell us about the hours" in page and "There is a problem" in page
    assert "Choose how long it took." in page and "Choose what kind of help it was." in page
    assert "Kept this note" in page
    assert transfer_count() == 0
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert "duration" in targets
    for target in targets:
        assert f'id="{target}"' in page, f"the error summary links to a missing #{target}"


def test_a_date_in_the_future_is_refused(bank, sam, as_joyce):
    as_joyce.post("/log", data={"member": str(sam.id)})
    tomorrow = today_in_zone(bank.timezone) + dt.timedelta(days=1)
    response = as_joyce.post("/log/details", data=details(bank, **date_fields(tomorrow)))
    assert "That date is in the future." in text_of(response)
    kept = f'name="day" type="text" inputmode="numeric" value="{tomorrow.day}"'
    assert kept in response.get_data(as_text=True)


def test_other_minutes_over_59_are_refused(bank, sam, as_joyce):
    as_joyce.post("/log", data={"member": str(sam.id)})
    response = as_joyce.post("/log/details", data=details(bank, duration="other", mins="75"))
    assert "Minutes must be a number from 0 to 59." in text_of(response)


def test_the_date_is_today_by_default(bank, sam, as_joyce):
    as_joyce.post("/log", data={"member": str(sam.id)})
    page = as_joyce.get("/log/details").get_data(as_text=True)
    today = today_in_zone(bank.timezone)
    assert f'name="year" type="text" inputmode="numeric" value="{today.year}"' in page


def test_an_overdraft_shows_in_the_ledgers_words_on_the_check_page_and_writes_nothing(app, session):
    bank = TimeBankFactory(overdraft_minutes=-60)
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    client = signed_in(app, joyce)
    check = log_up_to_check(client, bank, sam, duration="120")
    response = submit_check(client, check)
    assert response.status_code == 200
    assert (
        "This exchange is more than Sam Green can receive right now. Please ask your broker."
    ) in text_of(response)
    assert "-2:00" not in text_of(response)
    assert "<title>Error: " in response.get_data(as_text=True)
    assert transfer_count() == 0


def test_a_member_who_is_no_longer_active_is_refused_on_the_check_page(
    session, bank, sam, as_joyce
):
    check = log_up_to_check(as_joyce, bank, sam)
    set_member_status(session, bank.id, sam.id, "suspended")
    response = submit_check(as_joyce, check)
    assert "Sam Green is not an active member (suspended), so cannot trade hours." in text_of(
        response
    )
    assert transfer_count() == 0


def test_people_traded_with_lately_are_listed_first(bank, joyce, sam, as_joyce):
    MemberFactory(bank=bank, display_name="Sally Stone")
    give(joyce, sam, 30)
    page = text_of(as_joyce.get("/log?q=sa"))
    assert page.index("Sam Green") < page.index("Sally Stone")
    assert "Joyce Campbell" not in page.split("Choose one person")[1].split("Continue")[0]


def test_search_finds_members_of_my_own_bank_only(app, bank, as_joyce):
    other_bank = TimeBankFactory()
    stranger = MemberFactory(bank=other_bank, display_name="Sam Elsewhere")
    page = text_of(as_joyce.get("/log?q=sam"))
    assert "Sam Elsewhere" not in page
    assert as_joyce.post("/log", data={"member": str(stranger.id)}).status_code == 404


def test_search_never_shows_phone_numbers(bank, sam, as_joyce):
    page = as_joyce.get("/log?q=sam").get_data(as_text=True)
    assert "Sam Green" in page and sam.mobile_e164 not in page and "07123" not in page


def test_someone_elses_confirmation_page_is_not_found(app, bank, joyce, sam, as_joyce):
    other = MemberFactory(bank=bank, display_name="Olive Other")
    result = give(sam, other, 60)
    assert as_joyce.get(f"/log/done/{result.id}").status_code == 404


def test_a_group_gift_waits_for_each_receiver(app, bank, joyce, sam, as_joyce):
    ann = MemberFactory(bank=bank, display_name="Ann Archer")
    assert as_joyce.post("/log/group", data={"direction": "gave"}).status_code == 302
    searched = as_joyce.post(
        "/log/group/people", data={"members": [str(sam.id)], "q": "ann", "action": "search"}
    )
    page = searched.get_data(as_text=True)
    assert "Ann Archer" in page and f'value="{sam.id}" checked' in page
    chosen = as_joyce.post(
        "/log/group/people", data={"members": [str(sam.id), str(ann.id)], "action": "continue"}
    )
    assert chosen.headers["Location"].endswith("/log/group/details")
    group_details = details(bank, duration="120")
    del group_details["direction"]
    assert as_joyce.post("/log/group/details", data=group_details).status_code == 302
    check = as_joyce.get("/log/group/check")
    assert "Ann Archer and Sam Green" in text_of(check)
    posted = as_joyce.post(
        "/log/group/check", data={"transfer_id": hidden_value(check, "transfer_id")}
    )
    done = text_of(as_joyce.get(posted.headers["Location"]))
    assert "You gave Ann Archer and Sam Green 2 hours each for gardening." in done
    phases = db.session.scalars(sa.select(Transfer.phase)).all()
    assert phases == ["pending", "pending"]
    assert (balance(joyce), balance(sam), balance(ann)) == (0, 0, 0)


def test_a_group_log_is_all_or_nothing(session, bank, joyce, sam, as_joyce):
    ann = MemberFactory(bank=bank, display_name="Ann Archer")
    as_joyce.post("/log/group", data={"direction": "received"})
    as_joyce.post(
        "/log/group/people", data={"members": [str(sam.id), str(ann.id)], "action": "continue"}
    )
    group_details = details(bank, duration="60")
    del group_details["direction"]
    as_joyce.post("/log/group/details", data=group_details)
    check = as_joyce.get("/log/group/check")
    set_member_status(session, bank.id, ann.id, "left")
    refused = as_joyce.post(
        "/log/group/check", data={"transfer_id": hidden_value(check, "transfer_id")}
    )
    assert "Ann Archer is not an active member (left)" in text_of(refused)
    assert transfer_count() == 0
    assert balance(sam) == 0


def test_being_helped_by_a_group_posts_at_once(bank, joyce, sam, as_joyce):
    ann = MemberFactory(bank=bank, display_name="Ann Archer")
    as_joyce.post("/log/group", data={"direction": "received"})
    as_joyce.post(
        "/log/group/people", data={"members": [str(sam.id), str(ann.id)], "action": "continue"}
    )
    group_details = details(bank, duration="30")
    del group_details["direction"]
    as_joyce.post("/log/group/details", data=group_details)
    check = as_joyce.get("/log/group/check")
    posted = as_joyce.post(
        "/log/group/check", data={"transfer_id": hidden_value(check, "transfer_id")}
    )
    done = text_of(as_joyce.get(posted.headers["Location"]))
    assert "Ann Archer and Sam Green each gave you 30 minutes for gardening." in done
    assert (balance(joyce), balance(sam), balance(ann)) == (-60, 30, 30)


def test_a_group_needs_at_least_one_person_ticked(bank, as_joyce):
    as_joyce.post("/log/group", data={"direction": "gave"})
    response = as_joyce.post("/log/group/people", data={"action": "continue"})
    assert "Tick at least one person." in text_of(response)


def test_broker_records_hours_for_two_members_and_is_stored_as_recorder(
    app, bank, broker, joyce, sam
):
    client = signed_in(app, broker)
    assert "Joyce Campbell" in text_of(client.get("/log/for-others?q=joyce"))
    assert client.post("/log/for-others", data={"member": str(joyce.id)}).status_code == 302
    receivers = text_of(client.get("/log/for-others/receiver?q=a"))
    assert "Sam Green" in receivers
    assert client.post("/log/for-others/receiver", data={"member": str(sam.id)}).status_code == 302
    record_details = details(bank, duration="60")
    del record_details["direction"]
    assert client.post("/log/for-others/details", data=record_details).status_code == 302
    check = client.get("/log/for-others/check")
    assert one_h1(check) == "Check the hours Joyce gave Sam"
    posted = client.post(
        "/log/for-others/check", data={"transfer_id": hidden_value(check, "transfer_id")}
    )
    done = text_of(client.get(posted.headers["Location"]))
    assert "Joyce Campbell gave Sam Green 1 hour for gardening. It is now in both their" in done
    transfer = db.session.scalars(sa.select(Transfer)).one()
    assert (transfer.phase, transfer.recorded_by_id) == ("posted", broker.id)
    assert (balance(joyce), balance(sam)) == (60, -60)


def test_broker_cannot_choose_the_same_person_twice(app, bank, broker, joyce):
    client = signed_in(app, broker)
    client.post("/log/for-others", data={"member": str(joyce.id)})
    response = client.post("/log/for-others/receiver", data={"member": str(joyce.id)})
    assert "Choose someone other than Joyce Campbell." in text_of(response)


def test_members_who_are_not_brokers_cannot_record_for_others(as_joyce):
    assert as_joyce.get("/log/for-others").status_code == 403
    assert as_joyce.post("/log/for-others/check", data={}).status_code == 403


def test_log_hours_pages_have_one_heading_each(bank, sam, as_joyce):
    assert one_h1(as_joyce.get("/log")) == "Who did you swap time with?"
    as_joyce.post("/log", data={"member": str(sam.id)})
    assert one_h1(as_joyce.get("/log/details")) == "Tell us about the hours"
    as_joyce.post("/log/details", data=details(bank))
    assert one_h1(as_joyce.get("/log/check")) == "Check the hours before you log them"
    assert one_h1(as_joyce.get("/log/group")) == "Log hours for a group"
