"""Linked people for the linkage page, review and export tests, made directly as rows (the
linking engine is tested on its own).

One linked person, three records:
- Fife Council's Margaret Haddow (ASB-P-0042), in an antisocial behaviour incident naming
  Kingdom Housing as relevant: police and fire see it in full (fife-isp), Kingdom Housing
  depersonalised (fife-asb), NHS Fife not at all;
- NHS Fife's Peggy Haddow (NHS-0777), in no incident: NHS Fife's alone;
- Police Scotland's Maggie Haddow (POL-0909), in no incident: the police's alone.
"""

import datetime

import pytest

from saferhub.linkage.models import (
    CandidatePair,
    Entity,
    EntityEvent,
    EntityKind,
    LinkedBy,
    RecordLink,
)
from saferhub.partnerships.models import Organisation, Partnership, User
from saferhub.people.identifiers import name_key
from saferhub.people.models import PersonRecord
from tests.conftest import add_user
from tests.incidents.conftest import staff  # noqa: F401 (a fixture)
from tests.people.conftest import appears_in

BORN = datetime.date(1948, 5, 17)


def linked(partnership: Partnership, *records, kind: str = EntityKind.PERSON) -> Entity:
    """An entity gathering the records, as a bulk run would leave it."""
    entity = Entity.objects.create(partnership=partnership, kind=kind)
    field = "person_record" if kind == EntityKind.PERSON else "place_record"
    for index, held in enumerate(records):
        RecordLink.objects.create(
            entity=entity,
            partnership=partnership,
            match_probability=1.0 if index == 0 else 0.97 - index / 100,
            linked_by=LinkedBy.FIRST if index == 0 else LinkedBy.BULK,
            **{field: held},
        )
    EntityEvent.objects.create(
        entity=entity,
        action=EntityEvent.Action.CREATED,
        detail={"records": [r.pk for r in records]},
    )
    return entity


def pair_of(partnership: Partnership, a, b, probability: float = 0.8, kind=EntityKind.PERSON):
    left, right = sorted([a.pk, b.pk])
    return CandidatePair.objects.create(
        partnership=partnership,
        kind=kind,
        left_record_id=left,
        right_record_id=right,
        match_probability=probability,
        match_weight=2.0,
        evidence=[
            {"comparison": "Family name", "level": "exact", "match_weight": 6.5},
            {"comparison": "Date of birth", "level": "different", "match_weight": -3.25},
        ],
    )


def member(fife: Partnership, username: str, code: str, roles: list[str]) -> User:
    return add_user(
        username, partnership=fife, organisation=Organisation.objects.get(code=code), roles=roles
    )


def held(user: User, source_ref: str, given: str, family: str = "Haddow") -> PersonRecord:
    """A person record written straight to the database, so that no linking on arrival runs
    (these tests make their entities themselves)."""
    return PersonRecord.objects.create(
        organisation_id=user.organisation_id,
        source_ref=source_ref,
        given_name=given,
        family_name=family,
        given_key=name_key(given),
        family_key=name_key(family),
        date_of_birth=BORN,
        date_of_birth_precision="day",
        sex="female",
    )


@pytest.fixture
def three_records(staff) -> dict[str, PersonRecord]:  # noqa: F811
    council = held(staff["fife-council-asb"], "ASB-P-0042", "Margaret")
    appears_in(council, staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    return {
        "council": council,
        "nhs": held(staff["nhs-fife"], "NHS-0777", "Peggy"),
        "police": held(staff["police-fife"], "POL-0909", "Maggie"),
    }


@pytest.fixture
def margaret_linked(fife, three_records) -> Entity:
    return linked(fife, three_records["council"], three_records["nhs"], three_records["police"])
