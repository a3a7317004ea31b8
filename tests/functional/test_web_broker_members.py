"""The broker's page about one member: checks, blocks and do-not-contact."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, sign_in_as
from timebank.broker import safeguarding
from timebank.broker.models import MemberBlock, MemberCheck
from timebank.members.models import Member
from timebank.tenancy.models import BrokerAction


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)


def actions(session, member) -> list[tuple[str, int]]:
    session.rollback()
    rows = session.execute(
        sa.select(BrokerAction.action, BrokerAction.broker_id)
        .where(BrokerAction.member_id == member.id)
        .order_by(BrokerAction.id)
    )
    return [tuple(row) for row in rows]


def test_the_member_list_links_to_each_members_broker_page(client, bank, broker):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", area="Catford")
    sign_in_as(client, broker)

    listing = client.get("/broker/members?q=joyce").get_data(as_text=True)
    page = client.get(f"/broker/members/{joyce.id}")

    assert f'href="/broker/members/{joyce.id}"' in listing
    text = page.get_data(as_text=True)
    assert h1s(page) == ["Joyce Campbell"]
    assert "Catford" in text and "No check recorded" in text and "No blocks either way" in text


def test_broker_records_and_withdraws_a_check(client, session, bank, broker):
    joyce = MemberFactory(bank=bank)
    sign_in_as(client, broker)

    done = client.post(
        f"/broker/members/{joyce.id}/checks",
        data={"checked_on": "2025-02-03", "expires_on": "2028-02-03", "reference": "0012 3456"},
        follow_redirects=True,
    )

    text = done.get_data(as_text=True)
    assert "The check for" in text and "3 February 2025" in text and "Current" in text
    check = session.scalars(sa.select(MemberCheck)).one()
    assert (check.member_id, check.reference, check.recorded_by_id) == (
        joyce.id,
        "0012 3456",
        broker.id,
    )
    session.rollback()

    client.post(f"/broker/members/{joyce.id}/checks/{check.id}/withdraw")

    text = client.get(f"/broker/members/{joyce.id}").get_data(as_text=True)
    assert "Withdrawn" in text
    assert actions(session, joyce) == [
        ("check_recorded", broker.id),
        ("check_withdrawn", broker.id),
    ]


def test_a_check_with_a_bad_date_is_refused_in_plain_words(client, session, bank, broker):
    joyce = MemberFactory(bank=bank)
    sign_in_as(client, broker)

    page = client.post(f"/broker/members/{joyce.id}/checks", data={"checked_on": "last week"})
    empty = client.post(f"/broker/members/{joyce.id}/checks", data={"checked_on": ""})
    future = client.post(f"/broker/members/{joyce.id}/checks", data={"checked_on": "2999-01-01"})

    assert "Enter the date as year-month-day" in page.get_data(as_text=True)
    assert "Enter the date of the check." in empty.get_data(as_text=True)
    assert "cannot be in the future" in future.get_data(as_text=True)
    assert 'href="#checked_on"' in page.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(MemberCheck)) == 0


def test_broker_blocks_by_member_number_and_removes_the_block(client, session, bank, broker):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    sign_in_as(client, broker)

    done = client.post(
        f"/broker/members/{joyce.id}/blocks", data={"other": str(sam.id)}, follow_redirects=True
    )

    assert "will not be matched with Sam Green" in done.get_data(as_text=True)
    assert safeguarding.blocked_pairs(session, bank.id, sam.id) == {joyce.id}
    row = session.scalars(sa.select(MemberBlock)).one()
    session.rollback()
    sams_page = client.get(f"/broker/members/{sam.id}").get_data(as_text=True)
    assert "Does not want to be matched with Sam" in sams_page and "Joyce Campbell" in sams_page

    client.post(f"/broker/members/{sam.id}/blocks/{row.id}/remove")

    assert safeguarding.blocked_pairs(session, bank.id, joyce.id) == set()
    assert [a for a, _ in actions(session, joyce)] == ["block_recorded", "block_removed"]


def test_a_name_that_fits_several_members_asks_which_one(client, session, bank, broker):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    first = MemberFactory(bank=bank, display_name="Sam Green")
    MemberFactory(bank=bank, display_name="Samira Khan")
    MemberFactory(bank=TimeBankFactory(), display_name="Sam Elsewhere")
    sign_in_as(client, broker)

    several = client.post(f"/broker/members/{joyce.id}/blocks", data={"other": "sam"})
    nobody = client.post(f"/broker/members/{joyce.id}/blocks", data={"other": "Zebedee"})
    one = client.post(f"/broker/members/{joyce.id}/blocks", data={"other": "sam green"})

    text = several.get_data(as_text=True)
    assert "More than one member matches" in text
    assert "Sam Green" in text and "Samira Khan" in text and "Sam Elsewhere" not in text
    assert "No other member is called Zebedee" in nobody.get_data(as_text=True)
    assert one.status_code == 302
    assert safeguarding.blocked_pairs(session, bank.id, joyce.id) == {first.id}


def test_broker_marks_a_member_as_asking_not_to_be_contacted(client, session, bank, broker):
    joyce = MemberFactory(bank=bank)
    sign_in_as(client, broker)

    done = client.post(
        f"/broker/members/{joyce.id}/do-not-contact", data={"value": "on"}, follow_redirects=True
    )

    assert "will not be contacted" in done.get_data(as_text=True)
    assert session.get(Member, joyce.id).do_not_contact
    session.rollback()
    client.post(f"/broker/members/{joyce.id}/do-not-contact", data={"value": "off"})
    session.expire_all()
    assert not session.get(Member, joyce.id).do_not_contact
    assert [a for a, _ in actions(session, joyce)] == ["do_not_contact_on", "do_not_contact_off"]


def test_members_get_403_and_another_banks_member_is_404(client, session, bank, broker):
    joyce = MemberFactory(bank=bank)
    # A broker of the other bank: only a broker may record a check, even on themselves.
    stranger = MemberFactory(bank=TimeBankFactory(), role="broker")
    check = safeguarding.record_check(
        session, stranger.bank_id, stranger.id, stranger.id, dt.date(2026, 1, 1)
    )
    paths = (
        "/broker/members/{id}/checks",
        f"/broker/members/{{id}}/checks/{check.id}/withdraw",
        "/broker/members/{id}/blocks",
        "/broker/members/{id}/do-not-contact",
    )
    sign_in_as(client, joyce)
    assert client.get(f"/broker/members/{joyce.id}").status_code == 403
    for path in paths:
        assert client.post(path.format(id=joyce.id)).status_code == 403, path
    client.post("/sign-out")

    sign_in_as(client, broker)
    assert client.get(f"/broker/members/{stranger.id}").status_code == 404
    for path in paths:
        assert client.post(path.format(id=stranger.id)).status_code == 404, path
    client.post(f"/broker/members/{joyce.id}/checks/{check.id}/withdraw")
    assert safeguarding.current_checks(
        session, stranger.bank_id, [stranger.id], dt.date(2026, 6, 1)
    )
    assert actions(session, joyce) == []
