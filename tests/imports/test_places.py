"""Places resolve to a data zone by the postcode lookup, else by the point in either grid;
one that cannot be resolved is kept and flagged."""

import pytest
from pyproj import Transformer

from saferhub.geography.services import postcodes_import
from saferhub.places.models import PlaceRecord
from tests.geography.conftest import POSTCODES_CSV
from tests.imports.conftest import run_import, write_csv

pytestmark = pytest.mark.django_db

to_wgs84 = Transformer.from_crs(27700, 4326, always_xy=True)


def place(ref: str, **cells: str) -> dict[str, str]:
    row = dict.fromkeys(
        [
            "Property Ref",
            "Address 1",
            "Address 2",
            "Town",
            "Postcode",
            "UPRN",
            "Easting",
            "Northing",
            "Lat",
            "Lon",
            "Type",
        ],
        "",
    )
    row.update({"Property Ref": ref, "Address 1": f"{ref} Main Street", "Town": "Dundee"})
    row.update(cells)
    return row


def test_places_resolve_by_postcode_then_by_either_grid(profiles, tmp_path, boundaries_loaded):
    postcodes_import(POSTCODES_CSV)
    lon, lat = to_wgs84.transform(341250, 730250)
    rows = [
        place("P1", Postcode="dd1 4hp", Type="FLT"),
        place("P2", Postcode="DD9 9ZZ", Easting="340250", Northing="730250"),
        place("P3", Lat=f"{lat:.7f}", Lon=f"{lon:.7f}"),
        place("P4", Easting="250000", Northing="660000"),
        place("P5", UPRN="906700012345"),
    ]
    run = run_import(write_csv(tmp_path / "places.csv", rows), profiles["council-places"])
    assert run.rows_inserted == 5, list(run.rejections.values_list("field", "reason"))
    found = {p.source_ref: p for p in PlaceRecord.objects.all()}
    assert (found["P1"].data_zone, found["P1"].resolved_by) == ("S01007706", "postcode")
    assert found["P1"].postcode == "DD1 4HP"
    assert found["P1"].property_type == "flat"
    assert (found["P2"].data_zone, found["P2"].resolved_by) == ("S01007705", "coordinates")
    assert found["P2"].latitude == pytest.approx(56.4585, abs=0.01)
    assert (found["P3"].data_zone, found["P3"].resolved_by) == ("S01007709", "coordinates")
    assert found["P3"].easting == pytest.approx(341250, abs=1)
    assert (found["P4"].data_zone, found["P4"].resolved_by) == ("", "unresolved")
    assert (found["P5"].resolved_by, found["P5"].uprn) == ("unresolved", "906700012345")
    assert found["P5"].address_key == "p5 main street dundee"


def test_a_bad_uprn_or_coordinate_rejects_the_row(profiles, tmp_path):
    rows = [place("P1", UPRN="12-34"), place("P2", Lat="91", Lon="0"), place("P3")]
    run = run_import(write_csv(tmp_path / "places.csv", rows), profiles["council-places"])
    assert run.rows_inserted == 1
    reasons = list(run.rejections.values_list("row_number", "field", "reason"))
    assert reasons == [
        (2, "UPRN", "a UPRN is a number of up to 12 digits"),
        (3, "Lat", "is outside -90 to 90"),
    ]


def test_a_changed_place_keeps_a_revision(profiles, tmp_path):
    profile = profiles["council-places"]
    run_import(write_csv(tmp_path / "a.csv", [place("P1", Type="HSE")]), profile)
    run = run_import(write_csv(tmp_path / "b.csv", [place("P1", Type="HMO")]), profile)
    assert (run.rows_updated, run.rows_unchanged) == (1, 0)
    record = PlaceRecord.objects.get()
    assert record.property_type == "hmo"
    assert record.revisions.get().before["property_type"] == "house"
