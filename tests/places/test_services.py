"""Recording and changing place records, and resolving them to data zones."""

import io

import pytest
from django.core.management import CommandError, call_command
from pyproj import Transformer

from saferhub.geography.services import postcodes_import
from saferhub.places.models import PlaceRecord, PlaceRecordRevision
from saferhub.places.services import (
    PlaceRecordInvalid,
    place_record_update,
    place_records_resolve,
)
from tests.geography.conftest import POSTCODES_CSV
from tests.places.conftest import hold_place

pytestmark = pytest.mark.django_db

to_wgs84 = Transformer.from_crs(27700, 4326, always_xy=True)


def test_a_place_is_stored_with_its_postcode_normalised_and_address_folded(flat):
    assert flat.postcode == "DD1 4HN"
    assert flat.address_key == "flat 2 1 14 hilltown terrace dundee dd1 4hn"
    assert flat.uprn == "906700123456"


def test_a_grid_reference_gives_latitude_and_longitude_and_the_other_way_round(staff):
    police = staff["police-fife"]
    by_grid = hold_place(
        police, "G", address_line_1="1 Nethergate", easting=340250, northing=730250
    )
    longitude, latitude = to_wgs84.transform(340250, 730250)
    assert by_grid.latitude == pytest.approx(latitude, abs=1e-6)
    assert by_grid.longitude == pytest.approx(longitude, abs=1e-6)
    by_degrees = hold_place(
        police, "W", address_line_1="2 Nethergate", latitude=latitude, longitude=longitude
    )
    assert by_degrees.easting == pytest.approx(340250, abs=0.1)
    assert by_degrees.northing == pytest.approx(730250, abs=0.1)


def test_every_problem_is_reported_at_once_and_nothing_is_stored(staff, flat):
    council = staff["fife-council-asb"]
    with pytest.raises(PlaceRecordInvalid) as refused:
        hold_place(
            council,
            "ASB-L-0042",  # the flat's
            postcode="not a postcode",
            uprn="12-34",
            easting="far",
            northing=730250,
            latitude=56.46,
            property_type="castle",
        )
    assert refused.value.errors == {
        "source_ref": "Your organisation already has a place record with reference ASB-L-0042",
        "postcode": "'not a postcode' is not a UK postcode (expected something like DD1 4HN)",
        "uprn": "A UPRN is a number of up to 12 digits",
        "easting": "Enter the easting as a number",
        "longitude": "Give the latitude and the longitude together",
        "property_type": "Unknown property type 'castle'",
    }
    assert PlaceRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            {},
            {"address_line_1": "Enter an address, a postcode, a UPRN or coordinates for the place"},
        ),
        (
            {"source_ref": " ", "address_line_1": "1 High St"},
            {"source_ref": "Enter your organisation's reference for this place"},
        ),
        (
            {"easting": 340250, "northing": 730250 * 2},
            {"northing": "The northing must be between 0 and 1300000 (in the UK)"},
        ),
        (
            {"latitude": -2.97, "longitude": 56.46},
            {
                "latitude": "The latitude must be between 49 and 61 (in the UK)",
                "longitude": "The longitude must be between -9 and 2 (in the UK)",
            },
        ),
    ],
)
def test_a_place_needs_somewhere_to_be(staff, fields, problem):
    data = {"source_ref": "X", **fields}
    with pytest.raises(PlaceRecordInvalid) as refused:
        hold_place(staff["police-fife"], **data)
    assert refused.value.errors == problem


def test_leading_zeros_are_not_part_of_a_uprn(staff):
    place = hold_place(staff["police-fife"], "U", uprn="000012345")
    assert place.uprn == "12345"


# Data zones: point-in-polygon itself is tested in tests/geography.


def test_a_place_resolves_by_its_postcode_first(flat):
    assert (flat.data_zone, flat.resolved_by) == ("S01007705", "postcode")


def test_a_place_resolves_by_its_point_when_the_postcode_cannot_say(staff, boundaries_loaded):
    police = staff["police-fife"]
    by_grid = hold_place(police, "G", easting=340750, northing=730250, postcode="DD9 9ZZ")
    assert (by_grid.data_zone, by_grid.resolved_by) == ("S01007706", "coordinates")
    longitude, latitude = to_wgs84.transform(341250, 730250)
    by_degrees = hold_place(police, "W", latitude=latitude, longitude=longitude)
    assert (by_degrees.data_zone, by_degrees.resolved_by) == ("S01007709", "coordinates")


def test_a_place_that_cannot_be_resolved_is_kept_and_flagged(staff, boundaries_loaded):
    glasgow = hold_place(
        staff["police-fife"], "G", address_line_1="1 George Square", easting=259000, northing=665500
    )
    assert (glasgow.data_zone, glasgow.resolved_by) == ("", "unresolved")
    assert PlaceRecord.objects.filter(pk=glasgow.pk).exists()


def test_places_are_resolved_again_once_reference_data_is_loaded(staff, simd_loaded):
    police = staff["police-fife"]
    waiting = hold_place(police, "P1", postcode="DD1 4HP")
    elsewhere = hold_place(staff["nhs-fife"], "N1", postcode="DD1 4HP")
    nowhere = hold_place(police, "P2", postcode="KY1 1AA")
    assert waiting.resolved_by == "unresolved"
    postcodes_import(POSTCODES_CSV)
    assert place_records_resolve(organisation=police.organisation) == 1
    waiting.refresh_from_db()
    assert (waiting.data_zone, waiting.resolved_by) == ("S01007706", "postcode")
    elsewhere.refresh_from_db()
    assert elsewhere.resolved_by == "unresolved"  # another organisation's, not asked for
    assert place_records_resolve() == 1
    nowhere.refresh_from_db()
    assert nowhere.resolved_by == "unresolved"
    assert not PlaceRecordRevision.objects.exists()  # reference data is not the holder's change


# Changes and revisions.


def test_a_change_keeps_what_the_place_said_before_and_resolves_it_again(flat, staff):
    council = staff["fife-council-asb"]
    place_record_update(
        user=council, record=flat, changes={"postcode": "DD1 4HP", "property_type": "hmo"}
    )
    flat.refresh_from_db()
    assert (flat.postcode, flat.data_zone, flat.property_type) == ("DD1 4HP", "S01007706", "hmo")
    assert flat.address_key.endswith("dd1 4hp")
    revision = flat.revisions.get()
    assert revision.before["postcode"] == "DD1 4HN"
    assert revision.before["data_zone"] == "S01007705"
    assert (revision.changed_by, revision.changed_through) == (council, "web")


def test_a_change_that_changes_nothing_writes_no_revision(staff):
    police = staff["police-fife"]
    longitude, latitude = to_wgs84.transform(340250.04, 730250.04)
    place = hold_place(
        police, "W", address_line_1="1 High St", latitude=latitude, longitude=longitude
    )
    place_record_update(user=police, record=place, changes={})
    place_record_update(user=police, record=place, changes={"address_line_1": " 1 High St "})
    place_record_update(user=police, record=place, changes={"postcode": ""})
    assert not PlaceRecordRevision.objects.exists()


def test_new_coordinates_replace_both_pairs(flat, staff):
    longitude, latitude = to_wgs84.transform(340750, 730250)
    place_record_update(
        user=staff["fife-council-asb"],
        record=flat,
        changes={"latitude": latitude, "longitude": longitude, "postcode": ""},
    )
    flat.refresh_from_db()
    assert flat.easting == pytest.approx(340750, abs=0.1)
    assert flat.revisions.get().before["easting"] == 340260


def test_only_the_holder_changes_a_place(flat, staff):
    with pytest.raises(PermissionError):
        place_record_update(user=staff["police-fife"], record=flat, changes={"town": "Perth"})


def test_the_command_resolves_places_after_reference_data_is_loaded(staff, simd_loaded):
    waiting = hold_place(staff["police-fife"], "P1", postcode="DD1 4HP")
    postcodes_import(POSTCODES_CSV)
    out = io.StringIO()
    call_command("places", "resolve", "--organisation", "police-fife", stdout=out)
    assert out.getvalue() == "Resolved 1 place.\n"
    waiting.refresh_from_db()
    assert waiting.data_zone == "S01007706"
    with pytest.raises(CommandError, match="No organisation with code 'nobody'"):
        call_command("places", "resolve", "--organisation", "nobody")
