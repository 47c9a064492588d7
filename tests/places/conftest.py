"""Place records held by Fife organisations, incidents that happened there, and the reference
data (tests/geography's tiny published-layout files) that resolves them to data zones.

The sharing these tests lean on is described in tests/people/conftest.py.
"""

import pytest

from saferhub.geography.services import postcodes_import
from saferhub.partnerships.models import User
from saferhub.places.models import PlaceRecord
from saferhub.places.services import PlaceRecordInput, place_record_create
from tests.geography.conftest import (  # noqa: F401 (fixtures)
    POSTCODES_CSV,
    boundaries_loaded,
    simd_loaded,
)
from tests.incidents.conftest import record, staff  # noqa: F401 (staff is a fixture)


def hold_place(user: User, source_ref: str, **fields) -> PlaceRecord:
    """A place record held by the user's organisation."""
    return place_record_create(
        user=user,
        organisation=user.organisation,
        data=PlaceRecordInput(source_ref=source_ref, **fields),
    )


def happened_at(place: PlaceRecord, owner: User, **fields):
    """An incident recorded by the place's holder, at the place."""
    return record(owner, place_record_id=place.pk, **fields)


@pytest.fixture
def postcodes_loaded(simd_loaded) -> None:  # noqa: F811
    postcodes_import(POSTCODES_CSV)


@pytest.fixture
def flat(staff, postcodes_loaded):  # noqa: F811
    """Fife Council's record of a flat, with every detail a leak could show; its postcode
    is in data zone S01007705 (SIMD rank 3 of the 10 test zones: quintile 2, decile 3)."""
    return hold_place(
        staff["fife-council-asb"],
        "ASB-L-0042",
        address_line_1="Flat 2/1, 14 Hilltown Terrace",
        town="Dundee",
        postcode="dd1 4hn",
        uprn="906700123456",
        easting=340_260,
        northing=730_240,
        property_type="flat",
    )


@pytest.fixture
def shared_flat(flat, staff):  # noqa: F811
    """The flat in an antisocial behaviour incident naming Kingdom Housing as relevant: police
    and fire see it in full (fife-isp), Kingdom Housing depersonalised (fife-asb), NHS not."""
    happened_at(flat, staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    return flat
