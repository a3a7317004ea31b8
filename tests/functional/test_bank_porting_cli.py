"""`flask bank import` and `flask bank export` as a new host runs them."""

from __future__ import annotations

import zipfile

import sqlalchemy as sa

from tests.factories import TimeBankFactory
from timebank.members.models import Member


def run(app, *args):
    return app.test_cli_runner().invoke(args=["bank", *args])


def test_a_dry_run_then_a_commit_then_an_export(app, session, tmp_path):
    bank = TimeBankFactory(slug="green")
    members = tmp_path / "members.csv"
    members.write_text("id,name,joined_at\nm1,Ann Archer,2024-02-01\nm2,Ben Baker,2024-03-01\n")
    exchanges = tmp_path / "exchanges.csv"
    exchanges.write_text("id,date,giver,receiver,hours\ne1,2024-04-02,m1,m2,1:30\n")

    dry = run(app, "import", "green", str(members), str(exchanges))
    assert dry.exit_code == 0, dry.output
    assert "members.csv row 2: add member Ann Archer, joined 2024-02-01" in dry.output
    assert "Dry run: would import 2 members, 0 listings, 1 exchanges" in dry.output
    assert session.scalar(sa.select(sa.func.count()).where(Member.bank_id == bank.id)) == 0

    done = run(app, "import", "green", str(members), str(exchanges), "--commit")
    assert done.exit_code == 0, done.output
    assert "Imported 2 members, 0 listings, 1 exchanges, 0 opening balances." in done.output

    zipped = tmp_path / "green.zip"
    exported = run(app, "export", "green", "--output", str(zipped))
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(zipped) as archive:
        assert "Ann Archer" in archive.read("green/members.csv").decode()


def test_problems_end_with_status_one_and_write_nothing(app, session, tmp_path):
    bank = TimeBankFactory(slug="green")
    members = tmp_path / "members.csv"
    members.write_text("id,name,mobile\nm1,Ann Archer,07450 12\n")

    result = run(app, "import", "green", str(members), "--commit")

    assert result.exit_code == 1
    assert "Problem: members.csv row 2: 07450 12 is not a valid phone number." in result.output
    assert "Nothing was written: 1 problem(s) to put right first." in result.output
    assert session.scalar(sa.select(sa.func.count()).where(Member.bank_id == bank.id)) == 0


def test_an_unknown_bank_is_named(app, tmp_path):
    members = tmp_path / "members.csv"
    members.write_text("id,name\nm1,Ann\n")

    result = run(app, "import", "nowhere", str(members))

    assert result.exit_code == 1 and "There is no time bank called nowhere." in result.output
