"""Finding the data zone of a postcode or a point, in either grid."""

import pytest
from pyproj import Transformer

from saferhub.geography.selectors import data_zone_for
from saferhub.geography.services import postcodes_import
from tests.geography.conftest import POSTCODES_CSV

pytestmark = pytest.mark.django_db

to_wgs84 = Transformer.from_crs(27700, 4326, always_xy=True)


def test_a_postcode_resolves_through_the_lookup(simd_loaded):
    postcodes_import(POSTCODES_CSV)
    assert data_zone_for(postcode="dd1 4hp").code == "S01007706"


@pytest.mark.parametrize(
    ("easting", "northing", "code"),
    [
        (340250, 730250, "S01007705"),
        (340750, 730250, "S01007706"),
        (340250, 730750, "S01007707"),
        (340999, 730999, "S01007708"),
        (341250, 730250, "S01007709"),  # its boundary was loaded in WGS84
    ],
)
def test_a_point_resolves_in_british_national_grid(boundaries_loaded, easting, northing, code):
    assert data_zone_for(easting=easting, northing=northing).code == code


@pytest.mark.parametrize(
    ("easting", "northing", "code"),
    [(340250, 730250, "S01007705"), (341250, 730250, "S01007709")],
)
def test_a_point_resolves_in_wgs84(boundaries_loaded, easting, northing, code):
    longitude, latitude = to_wgs84.transform(easting, northing)
    assert data_zone_for(latitude=latitude, longitude=longitude).code == code


def test_a_postcode_not_in_the_lookup_falls_back_to_the_point(boundaries_loaded):
    assert data_zone_for(postcode="DD9 9ZZ", easting=340250, northing=730250).code == "S01007705"


@pytest.mark.parametrize(
    "place",
    [
        {"postcode": "DD9 9ZZ"},
        {"postcode": "not a postcode"},
        {"easting": 250000, "northing": 660000},  # Glasgow: no boundary loaded there
        {"latitude": 55.95, "longitude": -3.19},
        {},
    ],
)
def test_a_place_that_cannot_be_resolved_gives_none(boundaries_loaded, place):
    assert data_zone_for(**place) is None
