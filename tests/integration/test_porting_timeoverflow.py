"""TimeOverflow's CSV exports, imported as TimeOverflow writes them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.factories import TimeBankFactory
from timebank.ledger.models import Account, Transfer
from timebank.ledger.verify import verify_ledger
from timebank.members.models import Member, Organisation
from timebank.offers.models import Listing
from timebank.porting.services import import_files

# A small bank's "complete" export, as TimeOverflow writes it in English.
MEMBERS = """N,Username,Email,Date of birth,Phone,Alt. phone,Address,Created at,Updated at,Gender,Description,Terms accepted at,Current sign in at,Last sign in at,Locale,Notifications
1,Maria Lopez,maria@example.org,1958-04-12,612345678,,"Calle Mayor 3, Madrid",2019-03-04 10:12:33 UTC,2024-01-10 09:00:00 UTC,female,Retired teacher,2019-03-04 10:12:33 UTC,2024-05-01 18:00:00 UTC,2024-04-20 10:00:00 UTC,es,true
2,Jose Garcia,jose@example.org,,,612345679,,2019-05-20 16:40:00 UTC,2023-12-01 12:00:00 UTC,male,,2019-05-20 16:40:00 UTC,,,es,false
3,Ana Ruiz,,1990-07-30,612345680,,,2020-01-15 11:05:00 UTC,2020-01-15 11:05:00 UTC,,Gardener,2020-01-15 11:05:00 UTC,,,es,true
"""  # noqa: E501
POSTS = """Id,Title,Description,Category,Type,User,N,Created at,Updated at,Tags
101,Clases de guitarra,"Guitar lessons for beginners, at my home",Education,Offer,Maria Lopez,1,2019-03-05 09:00:00 UTC,2019-03-05 09:00:00 UTC,music
102,Help moving furniture,,Home,Inquiry,Jose Garcia,2,2020-02-01 10:00:00 UTC,2020-02-01 10:00:00 UTC,
"""  # noqa: E501
TRANSFERS = """date,from,from ID,to,to ID,post,post ID,reason,quantity
2019-04-01 17:00:00 UTC,Jose Garcia,2,Maria Lopez,1,Clases de guitarra,101,First lesson,1.5
2019-04-08 17:00:00 UTC,Jose Garcia,2,Maria Lopez,1,Clases de guitarra,101,,1.5
2020-02-03 12:00:00 UTC,Maria Lopez,1,Jose Garcia,2,Help moving furniture,102,Moved a sofa,2
2020-03-01 12:00:00 UTC,Banco de Tiempo Lavapies,0,Ana Ruiz,3,,,Welcome hours,5
2020-06-10 12:00:00 UTC,inactive_user,7,Ana Ruiz,3,,,Garden,2.25
2021-01-10 12:00:00 UTC,Ana Ruiz,3,deleted_user,,,,Ironing,1
"""
# The same layouts with their headers in Spanish, as a Spanish-speaking admin gets them.
SPANISH_HEADERS = {
    MEMBERS: "Nº,Usuario,Email,Fecha de nacimiento,Teléfono,Teléfono alt.,Dirección,Creado,"
    "Actualizado,Género,Descripción,Términos aceptados,Sesión actual,Última sesión,Idioma,"
    "Notificaciones",
    POSTS: "Id,Título,Descripción,Categoría,Tipo,Usuario,Nº,Creado,Actualizado,Etiquetas",
    TRANSFERS: "fecha,de,ID de,a,ID a,anuncio,ID anuncio,motivo,cantidad",
}


def export_files(spanish: bool = False) -> list[tuple[str, bytes]]:
    files = []
    for name, text in (("users.csv", MEMBERS), ("offers.csv", POSTS), ("transfers.csv", TRANSFERS)):
        if spanish:
            text = SPANISH_HEADERS[text] + "\n" + text.split("\n", 1)[1].replace("Offer", "Oferta")
        files.append((name, text.encode("utf-8")))
    return files


def balances(session, bank_id):
    """Return each account's balance in minutes, by member name or organisation kind."""
    holder = sa.func.coalesce(Member.display_name, Organisation.kind)
    rows = session.execute(
        sa.select(holder, Account.credits_posted - Account.debits_posted)
        .select_from(Account)
        .outerjoin(Member, Member.id == Account.member_id)
        .outerjoin(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.bank_id == bank_id)
    )
    return dict(rows.all())


def test_a_timeoverflow_export_comes_in_as_it_is(session):
    bank = TimeBankFactory(mobile_regions="ES")

    outcome = import_files(session, bank.slug, export_files(), commit=True)

    assert outcome.committed, outcome.problems
    assert balances(session, bank.id) == {
        "Maria Lopez": 90 + 90 - 120,
        "Jose Garcia": -180 + 120,
        "Ana Ruiz": 300 + 135 - 60,
        "Former member 7": -135,
        "Former member": 60,
        "community_pot": 0,
        "bank": -300,
    }
    maria = session.scalar(sa.select(Member).where(Member.display_name == "Maria Lopez"))
    assert maria.joined_at.date() == dt.date(2019, 3, 4) and maria.mobile_e164 == "+34612345678"
    jose = session.scalar(sa.select(Member).where(Member.display_name == "Jose Garcia"))
    assert jose.mobile_e164 == "+34612345679"  # from the second phone column
    gone = session.scalars(sa.select(Member.status).where(Member.display_name.like("Former%")))
    assert set(gone) == {"left"}
    listings = session.execute(sa.select(Listing.kind, Listing.title).order_by(Listing.title))
    assert listings.all() == [("offer", "Clases de guitarra"), ("request", "Help moving furniture")]
    days = session.scalars(sa.select(Transfer.happened_on).order_by(Transfer.happened_on)).all()
    assert days[0] == dt.date(2019, 4, 1) and len(days) == 6
    assert verify_ledger(session).ok


def test_headers_in_another_language_are_read_by_position(session):
    bank = TimeBankFactory(mobile_regions="ES")

    outcome = import_files(session, bank.slug, export_files(spanish=True), commit=True)

    assert outcome.committed, outcome.problems
    assert balances(session, bank.id)["Ana Ruiz"] == 375


def test_importing_the_timeoverflow_export_again_changes_nothing(session):
    bank = TimeBankFactory(mobile_regions="ES")
    import_files(session, bank.slug, export_files(), commit=True)

    again = import_files(session, bank.slug, export_files(), commit=True)

    assert sum(again.counts.values()) == 0
    assert again.already == {"member": 5, "listing": 2, "exchange": 6}


def test_a_transfer_naming_someone_missing_is_a_problem(session):
    bank = TimeBankFactory(mobile_regions="ES")
    transfers = TRANSFERS + "2021-02-01,Pedro Sanz,9,Ana Ruiz,3,,,,1\n"
    files = export_files()[:2] + [("transfers.csv", transfers.encode())]

    outcome = import_files(session, bank.slug, files, commit=True)

    assert outcome.problems == [
        "transfers.csv row 8: receiver 9 is not in the members file (nor imported before)"
    ]
    assert session.scalar(sa.select(sa.func.count()).where(Member.bank_id == bank.id)) == 0
