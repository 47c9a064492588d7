"""Person records held by Fife organisations, and incidents that share them.

The sharing in tests/fixtures/fife.yaml that these tests lean on:
- fife-isp (personal, every signatory): police, fire and the council, for antisocial
  behaviour, home safety and fire safety;
- fife-asb (depersonalised, relevant partners only): police, the council and Kingdom
  Housing Association, for antisocial behaviour and cuckooing;
- NHS Fife signs neither; sam.boyd is a council manager, who works with figures only.
"""

import datetime

import pytest

from saferhub.incidents.services import PersonInput
from saferhub.partnerships.models import User
from saferhub.people.identifiers import chi_check_digit
from saferhub.people.models import PersonRecord
from saferhub.people.services import AddressInput, PersonRecordInput, person_record_create
from saferhub.sharing.engine import Reader, reader_for
from saferhub.sharing.models import Purpose
from tests.incidents.conftest import record, staff  # noqa: F401 (staff is a fixture)

BORN = datetime.date(1948, 5, 17)


def chi_for(born: datetime.date, serial: int = 100) -> str:
    """A valid CHI number for someone born on `born` (the first serial with a check digit)."""
    while True:
        first_nine = f"{born:%d%m%y}{serial:03d}"
        check = chi_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"
        serial += 1


def hold_person(user: User, source_ref: str, **fields) -> PersonRecord:
    """A person record held by the user's organisation."""
    return person_record_create(
        user=user,
        organisation=user.organisation,
        data=PersonRecordInput(source_ref=source_ref, **fields),
    )


def appears_in(person: PersonRecord, owner: User, **fields):
    """An incident recorded by the record's owner, with the person in it."""
    return record(
        owner,
        people=[
            PersonInput(
                "victim",
                person.given_name,
                person.family_name,
                person.date_of_birth,
                person.sex,
                person_record_id=person.pk,
            )
        ],
        **fields,
    )


def reader(user: User) -> Reader:
    return reader_for(user, Purpose.TASKING)


@pytest.fixture
def margaret(staff) -> PersonRecord:  # noqa: F811
    """Fife Council's record of Margaret Haddow, with every detail a leak could show."""
    return hold_person(
        staff["fife-council-asb"],
        "ASB-P-0042",
        given_name="Margaret",
        family_name="Haddow",
        other_names=["Peggy Haddow"],
        date_of_birth=BORN,
        sex="female",
        chi_number=chi_for(BORN),
        phone="01592 555 010",
        email="peggy.haddow@example.org",
        addresses=[AddressInput("12 Hilltown, Kirkcaldy", "ky1 1aa", "2001-04-01")],
    )


@pytest.fixture
def shared_margaret(margaret, staff):  # noqa: F811
    """Margaret in an antisocial behaviour incident naming Kingdom Housing as relevant: police
    and fire see it in full (fife-isp), Kingdom Housing depersonalised (fife-asb), NHS not."""
    appears_in(
        margaret, staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"]
    )
    return margaret
