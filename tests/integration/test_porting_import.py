"""Importing our own template: a dry run first, then all or nothing, and again changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from timebank.ledger.models import Account, Transfer
from timebank.ledger.verify import verify_ledger
from timebank.members.models import Member
from timebank.porting.errors import FileRefused
from timebank.porting.models import ImportedRow
from timebank.porting.reading import MOST_BYTES
from timebank.porting.services import import_files
from timebank.sms.models import OutboxMessage

MEMBERS = (
    "id,name,mobile,email,role,status,area,joined_at\n"
    "m1,Ann Archer,07123 900001,ann@example.org,member,active,Catford,2024-02-01\n"
    "m2,Ben Baker,07123 900002,,member,active,Brockley,2024-03-15\n"
    "m3,Cleo Cole,,cleo@example.org,member,left,,2023-11-20\n"
)
EXCHANGES = (
    "id,date,giver,receiver,hours\n"
    "e1,2024-04-02,m1,m2,1:30\n"
    "e2,2024-04-09,m2,m1,1.5\n"
    "e3,2024-05-01,m1,m2,2\n"
)


def csv(text: str) -> bytes:
    return text.encode("utf-8")


def count(session, model, bank) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(model).where(model.bank_id == bank.id)
    )


def balance_of(session, bank, name: str) -> int:
    account = session.scalar(
        sa.select(Account).join(Member, Member.id == Account.member_id)
        .where(Member.bank_id == bank.id, Member.display_name == name)
    )  # fmt: skip
    return account.balance


def test_a_dry_run_shows_each_row_and_writes_nothing(session, bank):
    outcome = import_files(
        session, bank.slug, [("members.csv", csv(MEMBERS)), ("exchanges.csv", csv(EXCHANGES))]
    )

    assert outcome.ok and not outcome.committed
    assert outcome.lines[0] == "members.csv row 2: add member Ann Archer, joined 2024-02-01"
    assert (
        "exchanges.csv row 2: 2024-04-02, Ann Archer gave Ben Baker 1:30 (exchange)"
        in outcome.lines
    )
    assert outcome.counts == {"members": 3, "listings": 0, "exchanges": 3, "opening balances": 0}
    assert count(session, Member, bank) == 0 and count(session, Transfer, bank) == 0


def test_committing_keeps_join_dates_and_posts_history_with_its_dates(session, bank):
    import_files(
        session,
        bank.slug,
        [("members.csv", csv(MEMBERS)), ("exchanges.csv", csv(EXCHANGES))],
        commit=True,
    )

    ann = session.scalar(
        sa.select(Member).where(Member.bank_id == bank.id, Member.display_name == "Ann Archer")
    )
    assert ann.joined_at.date() == dt.date(2024, 2, 1) and ann.mobile_e164 == "+447123900001"
    days = session.execute(
        sa.select(Transfer.happened_on, Transfer.phase, Transfer.amount)
        .where(Transfer.bank_id == bank.id)
        .order_by(Transfer.happened_on)
    ).all()
    assert days == [(dt.date(2024, 4, 2), "posted", 90), (dt.date(2024, 4, 9), "posted", 90),
                    (dt.date(2024, 5, 1), "posted", 120)]  # fmt: skip
    assert balance_of(session, bank, "Ann Archer") == 120
    assert balance_of(session, bank, "Ben Baker") == -120
    marked = session.scalar(sa.select(sa.func.count()).where(ImportedRow.kind == "exchange"))
    assert marked == 3
    assert count(session, OutboxMessage, bank) == 0  # imported members are not texted
    assert verify_ledger(session).ok


def test_importing_the_same_files_again_changes_nothing(session, bank):
    files = [("members.csv", csv(MEMBERS)), ("exchanges.csv", csv(EXCHANGES))]
    import_files(session, bank.slug, files, commit=True)

    again = import_files(session, bank.slug, files, commit=True)

    assert again.ok and sum(again.counts.values()) == 0
    assert again.already == {"member": 3, "exchange": 3}
    assert count(session, Member, bank) == 3 and count(session, Transfer, bank) == 3


def test_a_later_file_of_exchanges_adds_only_the_new_rows(session, bank):
    import_files(
        session,
        bank.slug,
        [("members.csv", csv(MEMBERS)), ("exchanges.csv", csv(EXCHANGES))],
        commit=True,
    )
    more = EXCHANGES + "e4,2024-06-01,m2,m1,0:45\n"

    outcome = import_files(session, bank.slug, [("exchanges.csv", csv(more))], commit=True)

    assert outcome.counts["exchanges"] == 1
    assert balance_of(session, bank, "Ann Archer") == 120 - 45
    assert verify_ledger(session).ok


def test_a_balance_with_no_history_becomes_one_opening_transfer_against_the_pot(session, bank):
    balances = "account,hours\nm1,5:00\nm2,-2:30\n"

    import_files(
        session,
        bank.slug,
        [("members.csv", csv(MEMBERS)), ("balances.csv", csv(balances))],
        commit=True,
    )

    openings = session.execute(
        sa.select(Transfer.amount, Transfer.code, Transfer.reason, Transfer.happened_on)
        .where(Transfer.bank_id == bank.id).order_by(Transfer.amount)
    ).all()  # fmt: skip
    assert [(amount, code) for amount, code, _, _ in openings] == [
        (150, "adjustment"),
        (300, "adjustment"),
    ]
    assert all("Opening balance" in reason for _, _, reason, _ in openings)
    assert balance_of(session, bank, "Ann Archer") == 300
    assert balance_of(session, bank, "Ben Baker") == -150
    assert verify_ledger(session).ok


def test_history_beyond_the_limits_is_kept_and_the_limit_moves_to_fit(session, bank):
    # The bank's overdraft is 10 hours; Ben received 12 hours in the source system.
    big = "id,date,giver,receiver,hours\ne1,2024-04-02,m1,m2,12:00\n"

    outcome = import_files(
        session,
        bank.slug,
        [("members.csv", csv(MEMBERS)), ("exchanges.csv", csv(big))],
        commit=True,
    )

    assert outcome.committed
    assert balance_of(session, bank, "Ben Baker") == -720
    assert verify_ledger(session).ok


def test_one_bad_row_stops_the_whole_import(session, bank):
    bad = MEMBERS + "m4,Dan Dale,07450 12,,member,active,,2024-01-01\n"

    outcome = import_files(
        session,
        bank.slug,
        [("members.csv", csv(bad)), ("exchanges.csv", csv(EXCHANGES))],
        commit=True,
    )

    assert not outcome.committed
    assert outcome.problems == [
        "members.csv row 5: 07450 12 is not a valid phone number. Please check the digits."
    ]
    assert count(session, Member, bank) == 0 and count(session, Transfer, bank) == 0


@pytest.mark.parametrize(
    ("exchanges", "problem"),
    [
        ("id,date,giver,receiver,hours\ne1,03/04/2024,m1,m2,1\n",
         "exchanges.csv row 2: 03/04/2024 could be read two ways (3 April or 4 March); "
         "write dates as year-month-day, for example 2025-04-03"),
        ("id,date,giver,receiver,hours\ne1,2024-04-03,m1,m9,1\n",
         "exchanges.csv row 2: receiver m9 is not in the members file (nor imported before)"),
        ("id,date,giver,receiver,hours\ne1,2024-04-03,m1,m2,1\ne1,2024-04-04,m2,m1,1\n",
         "exchanges.csv row 3: the id e1 is also on row 2"),
        ("id,date,giver,receiver,hours\ne1,2024-04-03,m1,m2,an hour\n",
         "exchanges.csv row 2: an hour is not a number of hours "
         "(write 1.5 or 1:30 for an hour and a half)"),
        ("id,date,giver,receiver,hours\ne1,2024-04-03,m1,m1,1\n",
         "exchanges.csv row 2: the giver and the receiver are the same"),
    ],
)  # fmt: skip
def test_bad_rows_are_named_in_plain_words_and_nothing_is_written(
    session, bank, exchanges, problem
):
    outcome = import_files(
        session,
        bank.slug,
        [("members.csv", csv(MEMBERS)), ("exchanges.csv", csv(exchanges))],
        commit=True,
    )

    assert outcome.problems == [problem]
    assert count(session, Member, bank) == 0


def test_a_member_already_in_the_bank_with_the_same_mobile_is_a_problem(session, bank):
    MemberFactory(bank=bank, mobile="07123 900002")

    outcome = import_files(session, bank.slug, [("members.csv", csv(MEMBERS))])

    assert outcome.problems == [
        "members.csv row 3: someone in this time bank already has the mobile number 07123 900002"
    ]


def test_excel_files_with_a_bom_semicolons_and_decimal_commas_are_read(session, bank):
    members = "\ufeff" + MEMBERS.replace(",", ";")
    exchanges = "\ufeffid;date;giver;receiver;hours\ne1;2024-04-02;m1;m2;1,5\n"

    outcome = import_files(
        session,
        bank.slug,
        [("members.csv", csv(members)), ("exchanges.csv", csv(exchanges))],
        commit=True,
    )

    assert outcome.committed, outcome.problems
    assert balance_of(session, bank, "Ann Archer") == 90


def test_a_file_not_in_utf8_is_refused_with_what_to_do(session, bank):
    latin = "id,name\nm1,Zoë Ward\n".encode("latin-1")

    with pytest.raises(FileRefused, match="members.csv is not UTF-8 text .*line 2.*CSV UTF-8"):
        import_files(session, bank.slug, [("members.csv", latin)], commit=True)
    assert count(session, Member, bank) == 0


def test_a_file_of_50_mb_is_refused_before_it_is_read(session, bank):
    huge = b"id,name\n" + b"x" * MOST_BYTES

    with pytest.raises(
        FileRefused, match="members.csv is 50 MB; files of 50 MB or more cannot be imported"
    ):
        import_files(session, bank.slug, [("members.csv", huge)], commit=True)


def test_a_file_of_unknown_columns_is_refused(session, bank):
    with pytest.raises(FileRefused, match="people.csv is neither one of our template's files"):
        import_files(session, bank.slug, [("people.csv", b"who,what\nAnn,garden\n")])


def test_an_import_only_touches_its_own_bank(session, bank):
    other = MemberFactory(display_name="Other bank member").bank_id
    import_files(
        session,
        bank.slug,
        [("members.csv", csv(MEMBERS)), ("exchanges.csv", csv(EXCHANGES))],
        commit=True,
    )

    assert session.scalar(sa.select(sa.func.count()).where(Member.bank_id == other)) == 1
    assert session.scalar(sa.select(sa.func.count()).where(Transfer.bank_id == other)) == 0
