"""Loading the SIMD ranks table, boundaries and the postcode lookup."""

import json

import pytest
from django.db import connection

from saferhub.geography.models import CouncilArea, DataZone, IntermediateZone, PostcodeLookup
from saferhub.geography.services import (
    GeographyFileError,
    boundaries_import,
    postcodes_import,
    simd_bands,
    simd_import,
)
from tests.geography.conftest import (
    BOUNDARIES_BNG,
    BOUNDARY_WGS84,
    POSTCODES_CSV,
    SIMD_CSV,
    simd_rows,
    write_csv,
)

pytestmark = pytest.mark.django_db


def snapshot() -> list:
    return [
        list(DataZone.objects.values_list().order_by("code")),
        list(IntermediateZone.objects.values_list().order_by("code")),
        list(CouncilArea.objects.values_list().order_by("code")),
        list(PostcodeLookup.objects.values_list().order_by("postcode")),
    ]


def test_it_loads_the_simd_table():
    result = simd_import(SIMD_CSV)
    assert (result.created, result.updated) == (10, 0)
    zone = DataZone.objects.get(code="S01007706")
    assert zone.simd_rank == 1
    assert (zone.simd_quintile, zone.simd_decile) == (1, 1)
    assert zone.population == 655
    assert zone.intermediate_zone.code == "S02001442"
    assert zone.council_area.code == "S12000042"
    assert zone.council_area.name == "Dundee City"
    assert (zone.income_rank, zone.access_rank, zone.housing_rank) == (1, 8, 1)
    assert IntermediateZone.objects.count() == 2


def test_it_loads_the_same_table_from_xlsx(simd_xlsx):
    simd_import(simd_xlsx)
    zone = DataZone.objects.get(code="S01007708")
    assert (zone.simd_rank, zone.simd_quintile, zone.simd_decile) == (10, 5, 10)
    assert zone.crime_rank == 10


def test_importing_again_updates_in_place(tmp_path):
    simd_import(SIMD_CSV)
    ids = dict(DataZone.objects.values_list("code", "pk"))
    rows = simd_rows()
    rows[1][3] = "999"
    result = simd_import(write_csv(tmp_path / "again.csv", rows))
    assert (result.created, result.updated) == (0, 10)
    assert dict(DataZone.objects.values_list("code", "pk")) == ids
    assert DataZone.objects.get(code="S01007705").population == 999


def test_the_other_2020v2_headers_and_council_names_are_understood(tmp_path):
    rows = simd_rows()
    rows[0][0:6] = ["DataZone", "IZcode", "Council area", "Population", "Working", "SIMD2020_Rank"]
    rows[0][6] = "SIMD2020_Income_Domain_Rank"
    for row in rows[1:]:
        row[2] = "Dundee City"
    simd_import(write_csv(tmp_path / "variant.csv", rows))
    assert DataZone.objects.get(code="S01007705").council_area.code == "S12000042"
    assert DataZone.objects.get(code="S01007705").income_rank == 2


@pytest.mark.parametrize(
    ("rank", "decile", "quintile"),
    [(1, 1, 1), (697, 1, 1), (698, 2, 1), (1395, 2, 1), (1396, 3, 2), (3488, 5, 3), (6976, 10, 5)],
)
def test_quintile_and_decile_come_from_the_rank(rank, decile, quintile):
    assert simd_bands(rank, 6976) == (quintile, decile)


def rejected(function, path, *args, match: str) -> None:
    before = snapshot()
    with pytest.raises(GeographyFileError, match=match) as caught:
        function(path, *args)
    assert str(caught.value).startswith(f"{path} was not imported and nothing changed: ")
    assert snapshot() == before


@pytest.fixture
def loaded_once():
    simd_import(SIMD_CSV)
    postcodes_import(POSTCODES_CSV)


def test_a_missing_column_is_named(tmp_path, loaded_once):
    rows = [row[:5] + row[6:] for row in simd_rows()]  # no SIMD2020v2_Rank
    rejected(simd_import, write_csv(tmp_path / "f.csv", rows), match="no SIMD2020v2_Rank column")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", "'abc' is not a whole number"),
        ("11", "rank 11 is outside 1 to 10"),
        ("0", "rank 0 is outside 1 to 10"),
        ("2", "rank 2 is also given in row 7"),
        ("", "it is empty"),
    ],
)
def test_a_bad_rank_rejects_the_whole_file(tmp_path, loaded_once, value, reason):
    rows = simd_rows()
    for row in rows[1:]:
        row[3] = "1"  # every population changed, to show none of it was written
    rows[8][5] = value
    rejected(
        simd_import,
        write_csv(tmp_path / "f.csv", rows),
        match=f"row 9, column SIMD2020v2_Rank: {reason}",
    )


def test_a_bad_domain_rank_names_its_column(tmp_path, loaded_once):
    rows = simd_rows()
    rows[3][11] = "-4"
    rejected(
        simd_import,
        write_csv(tmp_path / "f.csv", rows),
        match="row 4, column SIMD2020_Crime_Domain_Rank: '-4' is not a whole number",
    )


def test_a_bad_data_zone_code_is_refused(tmp_path, loaded_once):
    rows = simd_rows()
    rows[2][0] = "S02001442"
    rejected(simd_import, write_csv(tmp_path / "f.csv", rows), match="row 3, column Data_Zone")


def test_an_unknown_data_zone_in_the_postcode_file_is_refused(tmp_path, loaded_once):
    path = write_csv(
        tmp_path / "pc.csv",
        [["Postcode", "DataZone2011Code"], ["DD1 1AA", "S01007705"], ["DD1 1AB", "S01099999"]],
    )
    rejected(
        postcodes_import,
        path,
        match="row 3, column DataZone2011Code: data zone 'S01099999' is not loaded",
    )


def test_a_bad_postcode_is_refused(tmp_path, loaded_once):
    path = write_csv(
        tmp_path / "pc.csv",
        [["Postcode", "DataZone2011Code"], ["DD1 1AA", "S01007705"], ["DD1 1CC", "S01007705"]],
    )
    rejected(postcodes_import, path, match="row 3, column Postcode: 'DD1 1CC' is not a UK postcode")


def test_an_unreadable_file_is_refused(tmp_path, loaded_once):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage\x00")
    rejected(simd_import, path, match="cannot be read as text in UTF-8")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    rejected(simd_import, broken, match="cannot be read as an XLSX workbook")
    rejected(simd_import, tmp_path / "missing.csv", match="no such file")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    rejected(simd_import, empty, match="the file is empty")


def test_a_wrong_file_type_is_refused(tmp_path, loaded_once):
    text = tmp_path / "ranks.txt"
    text.write_text(SIMD_CSV.read_text())
    rejected(simd_import, text, match="not a CSV or XLSX file")
    rejected(boundaries_import, SIMD_CSV, match="not a GeoJSON file or a shapefile")
    not_features = tmp_path / "thing.geojson"
    not_features.write_text('{"type": "Point", "coordinates": [1, 2]}')
    rejected(boundaries_import, not_features, match="not a GeoJSON FeatureCollection")


def test_postcodes_are_normalised_and_reloaded_in_place(loaded_once):
    assert list(PostcodeLookup.objects.values_list("postcode", flat=True)) == [
        "DD1 4HN",
        "DD1 4HP",
        "DD1 5AB",
        "DD3 6LX",
    ]
    lookup = PostcodeLookup.objects.get(postcode="DD1 4HN")
    assert (lookup.data_zone.code, lookup.easting, lookup.northing) == ("S01007705", 340250, 730250)
    assert PostcodeLookup.objects.get(postcode="DD1 5AB").easting is None
    result = postcodes_import(POSTCODES_CSV)
    assert (result.created, result.updated) == (0, 4)


def test_boundaries_in_either_grid_are_stored_in_wgs84(simd_loaded):
    assert boundaries_import(BOUNDARIES_BNG).updated == 4
    assert boundaries_import(BOUNDARY_WGS84).updated == 1
    zone = DataZone.objects.get(code="S01007705")
    geometry = json.loads(zone.boundary)
    assert geometry["type"] == "Polygon"
    assert -3.0 < zone.min_lon < zone.max_lon < -2.9
    assert 56.4 < zone.min_lat < zone.max_lat < 56.5
    wgs84 = DataZone.objects.get(code="S01007709")
    assert wgs84.min_lon == pytest.approx(zone.min_lon + 0.0163, abs=0.001)


def test_a_geojson_without_crs_in_grid_metres_is_recognised(tmp_path, simd_loaded):
    document = json.loads(BOUNDARIES_BNG.read_text())
    del document["crs"]
    path = tmp_path / "nocrs.geojson"
    path.write_text(json.dumps(document))
    boundaries_import(path)
    assert 56.4 < DataZone.objects.get(code="S01007705").min_lat < 56.5


def test_boundaries_for_zones_not_loaded_change_nothing(tmp_path, simd_loaded):
    boundaries_import(BOUNDARY_WGS84)
    document = json.loads(BOUNDARIES_BNG.read_text())
    document["features"][3]["properties"]["DataZone"] = "S01099999"
    path = tmp_path / "unknown.geojson"
    path.write_text(json.dumps(document))
    rejected(boundaries_import, path, match="feature 4: data zone S01099999 is not loaded")


def test_a_missing_code_property_is_named(tmp_path, simd_loaded):
    rejected(
        boundaries_import,
        BOUNDARIES_BNG,
        "data_zone",
        "DZ_2011",
        match="feature 1 has no DZ_2011 property",
    )
    document = json.loads(BOUNDARIES_BNG.read_text())
    for feature in document["features"]:
        feature["properties"]["zone_code"] = feature["properties"].pop("DataZone")
    path = tmp_path / "renamed.geojson"
    path.write_text(json.dumps(document))
    assert boundaries_import(path, code_property="zone_code").updated == 4


def test_a_shapefile_with_its_prj_is_read(tmp_path, simd_loaded):
    import shapefile
    from pyproj import CRS

    target = tmp_path / "SG_DataZone_Bdry_2011"
    with shapefile.Writer(str(target), shapeType=shapefile.POLYGON) as writer:
        writer.field("DataZone", "C", size=9)
        writer.poly([[[340000, 730000], [340000, 730500], [340500, 730500], [340500, 730000],
                      [340000, 730000]]])  # fmt: skip
        writer.record("S01007705")
    target.with_suffix(".prj").write_text(CRS.from_epsg(27700).to_wkt("WKT1_ESRI"))
    boundaries_import(target.with_suffix(".shp"))
    zone = DataZone.objects.get(code="S01007705")
    assert 56.4 < zone.min_lat < 56.5


def test_the_database_is_the_one_expected():
    # Guards the PostgreSQL run against silently testing SQLite.
    assert connection.vendor in ("sqlite", "postgresql")
