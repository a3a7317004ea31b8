"""How far back and forward an exchange may be dated: one rule in the ledger, on every edge."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import (
    OwnContextClient,
    date_fields,
    signed_in,
    text_of,
    transfer_count,
)
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.models import Transfer
from timebank.ledger.rules import check_exchange_date
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.membership.tokens import create_token
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank

TODAY = dt.date(2026, 6, 10)


def days_back(n: int, today: dt.date = TODAY) -> dt.date:
    return today - dt.timedelta(days=n)


# The pure rule.


def test_a_member_may_date_an_exchange_exactly_ninety_days_back():
    day = days_back(90)
    assert check_exchange_date(day, TODAY, 90, by_broker=False) == day


def test_a_member_may_not_date_an_exchange_ninety_one_days_back_and_is_told_to_ask_the_broker():
    with pytest.raises(errors.ExchangeDateTooEarly) as refused:
        check_exchange_date(days_back(91), TODAY, 90, by_broker=False)
    assert refused.value.message == (
        "An exchange can be dated at most 90 days back. Ask your broker to log older ones."
    )


def test_the_banks_own_limit_decides_how_far_back_members_may_go():
    assert check_exchange_date(days_back(30), TODAY, 30, by_broker=False) == days_back(30)
    with pytest.raises(errors.ExchangeDateTooEarly, match="at most 30 days back"):
        check_exchange_date(days_back(31), TODAY, 30, by_broker=False)


def test_tomorrow_is_refused_as_in_the_future_for_members_and_brokers():
    for by_broker in (False, True):
        with pytest.raises(errors.ExchangeDateInFuture) as refused:
            check_exchange_date(TODAY + dt.timedelta(days=1), TODAY, 90, by_broker=by_broker)
        assert "in the future" in refused.value.message
        assert "10 June 2026" in refused.value.message


@pytest.mark.parametrize("day", [dt.date(1990, 1, 1), dt.date(1, 1, 1)])
def test_a_mistyped_year_is_refused_even_for_a_broker_with_a_reason(day):
    for by_broker, reason in ((False, ""), (True, "Paper records from the old office")):
        with pytest.raises(errors.ExchangeDateTooLongAgo) as refused:
            check_exchange_date(day, TODAY, 90, by_broker=by_broker, reason=reason)
        assert refused.value.message.endswith("is too long ago for an exchange. Check the year.")


def test_a_broker_may_go_further_back_only_with_a_reason():
    day = days_back(400)
    assert check_exchange_date(day, TODAY, 90, by_broker=True, reason="Found in the diary") == day
    for blank in ("", "   "):
        with pytest.raises(errors.ExchangeDateNeedsReason, match="Give a reason"):
            check_exchange_date(day, TODAY, 90, by_broker=True, reason=blank)


def test_a_reason_longer_than_the_column_holds_is_refused_in_plain_words():
    with pytest.raises(errors.ExchangeDateReasonTooLong, match="500 characters"):
        check_exchange_date(days_back(100), TODAY, 90, by_broker=True, reason="x" * 501)


# The ledger service: "today" is the bank's own.


def at(year, month, day, hour, minute=0):
    stamp = dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)
    return lambda: stamp


def exchange(bank, giver, receiver, by, **more) -> ExchangeRequest:
    return ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, by.id, **more)


def test_tomorrow_in_london_is_refused_although_it_is_already_tomorrow_in_utc_plus_14(session):
    bank = TimeBankFactory(timezone="Europe/London")
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    # 11:00 UTC on 10 June: noon in London, but already 01:00 on 11 June in Kiritimati.
    with pytest.raises(errors.ExchangeDateInFuture):
        record_exchange(
            session,
            exchange(bank, ann, bob, bob, happened_on=dt.date(2026, 6, 11)),
            now=at(2026, 6, 10, 11),
        )
    assert session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0


def test_late_evening_utc_is_already_tomorrow_in_a_bank_ahead_of_utc(session):
    bank = TimeBankFactory(timezone="Pacific/Auckland")
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    # 20:00 UTC on 10 June is 08:00 on 11 June in Auckland.
    dated = record_exchange(
        session,
        exchange(bank, ann, bob, bob, happened_on=dt.date(2026, 6, 11)),
        now=at(2026, 6, 10, 20),
    )
    undated = record_exchange(session, exchange(bank, ann, bob, bob), now=at(2026, 6, 10, 20))
    assert dated.happened_on == undated.happened_on == dt.date(2026, 6, 11)
    with pytest.raises(errors.ExchangeDateInFuture):
        record_exchange(
            session,
            exchange(bank, ann, bob, bob, happened_on=dt.date(2026, 6, 12)),
            now=at(2026, 6, 10, 20),
        )


def test_an_undated_exchange_in_a_bank_behind_utc_is_dated_the_banks_today(session):
    bank = TimeBankFactory(timezone="America/New_York")
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    # 02:00 UTC on 11 June is still 10 June in New York.
    result = record_exchange(session, exchange(bank, ann, bob, bob), now=at(2026, 6, 11, 2))
    assert session.get(Transfer, result.id).happened_on == dt.date(2026, 6, 10)


def test_the_ninety_day_boundary_counts_days_in_the_banks_zone(session):
    bank = TimeBankFactory(timezone="Pacific/Auckland")
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    now = at(2026, 6, 10, 20)  # 11 June in Auckland
    today = dt.date(2026, 6, 11)
    record_exchange(session, exchange(bank, ann, bob, bob, happened_on=days_back(90, today)), now)
    with pytest.raises(errors.ExchangeDateTooEarly):
        record_exchange(
            session, exchange(bank, ann, bob, bob, happened_on=days_back(91, today)), now
        )


def test_a_broker_logs_an_old_exchange_with_a_reason_kept_with_it(session, bank, broker):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    today = today_in_zone(bank.timezone)
    old = days_back(120, today)
    with pytest.raises(errors.ExchangeDateNeedsReason):
        record_exchange(session, exchange(bank, ann, bob, broker, happened_on=old))
    result = record_exchange(
        session,
        exchange(
            bank, ann, bob, broker, happened_on=days_back(120, today), reason="From the paper log"
        ),
    )
    stored = session.get(Transfer, result.id)
    assert (stored.happened_on, stored.reason) == (days_back(120, today), "From the paper log")


def test_a_member_cannot_pass_a_reason_to_go_further_back(session, bank):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    today = today_in_zone(bank.timezone)
    with pytest.raises(errors.ExchangeDateTooEarly):
        record_exchange(
            session, exchange(bank, ann, bob, bob, happened_on=days_back(91, today), reason="x")
        )


def test_a_group_exchange_keeps_to_the_same_date_rule(session, bank, broker):
    ann, bob, cat = (MemberFactory(bank=bank) for _ in range(3))
    old = days_back(91, today_in_zone(bank.timezone))
    with pytest.raises(errors.ExchangeDateTooEarly):
        record_group_exchange(
            session,
            GroupExchangeRequest(
                uuid.uuid4(), bank.id, [ann.id], [bob.id, cat.id], 30, ann.id, happened_on=old
            ),  # fmt: skip
        )
    with pytest.raises(errors.ExchangeDateNeedsReason):
        record_group_exchange(
            session,
            GroupExchangeRequest(
                uuid.uuid4(), bank.id, [ann.id], [bob.id, cat.id], 30, broker.id, happened_on=old
            ),  # fmt: skip
        )
    assert session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0


def test_a_replay_of_an_exchange_recorded_in_time_still_answers_after_the_limit_passes(
    session, bank
):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    request = exchange(bank, ann, bob, bob, happened_on=dt.date(2026, 3, 12))
    first = record_exchange(session, request, now=at(2026, 6, 10, 12))
    again = record_exchange(session, request, now=at(2026, 9, 1, 12))
    assert again.replayed and again.id == first.id


# The API.


@pytest.fixture
def api(app):
    return OwnContextClient(app, app.response_class)


def bearer(member) -> dict[str, str]:
    token = create_token(db.session, member.bank_id, member.id, "Phone app")[1]
    return {"Authorization": f"Bearer {token}"}


def post_transfer(api, by, giver, receiver, day, **more):
    return api.post(
        "/api/v1/transfers",
        json={
            "id": str(uuid.uuid4()),
            "giver_id": giver.id,
            "receiver_id": receiver.id,
            "minutes": 60,
            "happened_on": day.isoformat(),
            **more,
        },
        headers=bearer(by),
    )


def assert_date_problem(response, code: str, words: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code and words in body["detail"], body


@pytest.mark.parametrize("day", [dt.date(1990, 1, 1), dt.date(1, 1, 1)])
def test_the_api_refuses_a_mistyped_year_with_a_problem_not_a_crash(api, bank, day):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    response = post_transfer(api, bob, ann, bob, day)
    assert_date_problem(response, "date_too_long_ago", "Check the year")
    assert transfer_count() == 0


def test_the_api_refuses_ninety_one_days_back_and_takes_ninety(api, bank):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    today = today_in_zone(bank.timezone)
    refused = post_transfer(api, bob, ann, bob, days_back(91, today))
    assert_date_problem(refused, "date_too_early", "Ask your broker")
    taken = post_transfer(api, bob, ann, bob, days_back(90, today))
    assert taken.status_code == 201, taken.get_data(as_text=True)
    assert taken.get_json()["happened_on"] == days_back(90, today).isoformat()


def test_the_api_refuses_tomorrow_in_the_banks_zone_whatever_utc_plus_14_says(api, bank):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    tomorrow = today_in_zone(bank.timezone) + dt.timedelta(days=1)
    response = post_transfer(api, bob, ann, bob, tomorrow)
    assert_date_problem(response, "date_in_future", "in the future")


def test_the_api_dates_an_undated_exchange_today_in_the_banks_zone(api):
    bank = TimeBankFactory(timezone="Pacific/Kiritimati")
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    response = api.post(
        "/api/v1/transfers",
        json={"id": str(uuid.uuid4()), "giver_id": ann.id, "receiver_id": bob.id, "minutes": 30},
        headers=bearer(bob),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["happened_on"] == today_in_zone("Pacific/Kiritimati").isoformat()


def test_a_broker_on_the_api_goes_further_back_only_with_a_reason(api, bank, broker):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    old = days_back(200, today_in_zone(bank.timezone))
    assert_date_problem(
        post_transfer(api, broker, ann, bob, old), "date_needs_reason", "Give a reason"
    )
    taken = post_transfer(api, broker, ann, bob, old, reason="Logged on paper at the lunch club")
    assert taken.status_code == 201, taken.get_data(as_text=True)
    assert taken.get_json()["reason"] == "Logged on paper at the lunch club"
    read = api.get(f"/api/v1/transfers/{taken.get_json()['id']}", headers=bearer(broker))
    assert read.get_json()["reason"] == "Logged on paper at the lunch club"


def test_group_exchanges_on_the_api_keep_to_the_date_rule(api, bank):
    ann, bob, cat = (MemberFactory(bank=bank) for _ in range(3))
    response = api.post(
        "/api/v1/group-exchanges",
        json={
            "id": str(uuid.uuid4()),
            "giver_ids": [ann.id],
            "receiver_ids": [bob.id, cat.id],
            "minutes": 30,
            "happened_on": days_back(91, today_in_zone(bank.timezone)).isoformat(),
        },
        headers=bearer(ann),
    )
    assert_date_problem(response, "date_too_early", "Ask your broker")
    assert transfer_count() == 0


# The web pages.


def details_form(day: dt.date, **more) -> dict[str, str]:
    return {
        "direction": "received",
        "duration": "60",
        **date_fields(day),
        "skill_category": "Gardening",
        **more,
    }


def start_logging_with(client, partner) -> None:
    response = client.post("/log", data={"member": str(partner.id)})
    assert response.status_code == 302, text_of(response)


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (91, "An exchange can be dated at most 90 days back. Ask your broker to log older ones."),
        (-1, "That date is in the future."),
    ],
)
def test_the_web_form_shows_the_ledgers_date_rule_beside_the_date(app, bank, days, words):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    client = signed_in(app, bob)
    start_logging_with(client, ann)
    day = days_back(days, today_in_zone(bank.timezone))
    page = client.post("/log/details", data=details_form(day))
    assert page.status_code == 200
    assert words in text_of(page)
    assert transfer_count() == 0


@pytest.mark.parametrize("year", ["1990", "1"])
def test_the_web_form_refuses_a_mistyped_year_plainly(app, bank, year):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    client = signed_in(app, bob)
    start_logging_with(client, ann)
    page = client.post(
        "/log/details",
        data={**details_form(dt.date(2026, 1, 1)), "day": "1", "month": "1", "year": year},
    )
    assert page.status_code == 200
    assert "is too long ago for an exchange. Check the year." in text_of(page)


def test_members_do_not_see_the_brokers_reason_box(app, bank):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    client = signed_in(app, bob)
    start_logging_with(client, ann)
    assert 'name="reason"' not in client.get("/log/details").get_data(as_text=True)


def test_a_broker_logs_an_old_exchange_for_others_on_the_web_with_a_reason(app, bank, broker):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    client = signed_in(app, broker)
    assert client.post("/log/for-others", data={"member": str(ann.id)}).status_code == 302
    assert client.post("/log/for-others/receiver", data={"member": str(bob.id)}).status_code == 302
    old = days_back(150, today_in_zone(bank.timezone))
    form = {k: v for k, v in details_form(old).items() if k != "direction"}
    without = client.post("/log/for-others/details", data=form)
    assert "Give a reason for logging it so late." in text_of(without)
    with_reason = client.post(
        "/log/for-others/details", data={**form, "reason": "Found in the lunch club diary"}
    )
    assert with_reason.status_code == 302, text_of(with_reason)
    check = client.get("/log/for-others/check")
    transfer_id = check.get_data(as_text=True).split('name="transfer_id"')[1].split('value="')[1]
    done = client.post("/log/for-others/check", data={"transfer_id": transfer_id.split('"')[0]})
    assert done.status_code == 302, text_of(done)
    db.session.rollback()
    stored = db.session.scalars(sa.select(Transfer)).one()
    assert (stored.happened_on, stored.reason) == (old, "Found in the lunch club diary")


# The setting.


def test_a_bank_is_created_with_its_own_limit_and_ninety_by_default(app, session):
    runner = app.test_cli_runner()
    admin = ["--admin-name", "Ada Lovelace", "--admin-mobile", "07956 000001"]
    for slug, extra in (("plain", []), ("strict", ["--exchange-past-days", "30"])):
        result = runner.invoke(args=["bank", "create", slug, slug.title(), *admin, *extra])
        assert result.exit_code == 0, result.output
    refused = runner.invoke(
        args=["bank", "create", "odd", "Odd", *admin, "--exchange-past-days", "0"]
    )
    assert refused.exit_code != 0
    session.rollback()
    limits = dict(session.execute(sa.select(TimeBank.slug, TimeBank.exchange_past_days)).all())
    assert limits == {"plain": 90, "strict": 30}


def test_the_database_refuses_a_limit_of_zero_days(session, bank):
    with pytest.raises(sa.exc.IntegrityError, match="exchange_past_days_in_range"):
        session.execute(
            sa.update(TimeBank).where(TimeBank.id == bank.id).values(exchange_past_days=0)
        )
    session.rollback()
