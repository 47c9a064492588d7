"""Cases in the Fife partnership: a practitioner in each organisation, and ways to open
cases and hold records of people and places."""

import datetime
import itertools

from saferhub.cases.models import Case
from saferhub.cases.services import CaseInput, case_open
from saferhub.partnerships.models import Partnership, User
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from tests.incidents.conftest import client_for, record, staff

_refs = itertools.count(1)


def person_of(user: User, **fields) -> PersonRecord:
    """A person record held by `user`'s organisation."""
    return PersonRecord.objects.create(
        organisation_id=user.organisation_id,
        source_ref=f"P{next(_refs)}",
        given_name=fields.pop("given_name", "Darren"),
        family_name=fields.pop("family_name", "Kelso"),
        date_of_birth=fields.pop("date_of_birth", datetime.date(1991, 2, 3)),
        sex=fields.pop("sex", "male"),
        **fields,
    )


def place_of(user: User, **fields) -> PlaceRecord:
    """A place record held by `user`'s organisation."""
    return PlaceRecord.objects.create(
        organisation_id=user.organisation_id,
        source_ref=f"A{next(_refs)}",
        address_line_1=fields.pop("address_line_1", "14 Rose Street"),
        town=fields.pop("town", "Kirkcaldy"),
        postcode=fields.pop("postcode", "KY1 1QH"),
        data_zone=fields.pop("data_zone", "S01009123"),
        **fields,
    )


def open_case(user: User, **fields) -> Case:
    """Open a case as `user` with sensible defaults for what the test does not say."""
    data = CaseInput(
        title=fields.pop("title", "Repeated disorder at the Hilltown flats"),
        subject=fields.pop("subject", "problem"),
        themes=fields.pop("themes", ["asb"]),
        **fields,
    )
    return case_open(user=user, partnership=Partnership.objects.get(code="fife"), data=data)


__all__ = ["client_for", "open_case", "person_of", "place_of", "record", "staff"]
