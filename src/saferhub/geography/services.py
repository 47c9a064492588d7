"""Loading reference data: the SIMD ranks table, data zone boundaries and the postcode lookup.

Each import reads and checks the whole file first, then writes it in one transaction: a bad
row rejects the file and nothing changes. Importing the same file again updates in place."""

import csv
import json
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.db import transaction
from pyproj import CRS, Transformer
from shapely.geometry import shape

from saferhub.geography.models import CouncilArea, DataZone, IntermediateZone, PostcodeLookup
from saferhub.geography.postcodes import postcode_normalise

DATA_ZONE_CODE = re.compile(r"^S01\d{6}$")
INTERMEDIATE_ZONE_CODE = re.compile(r"^S02\d{6}$")
COUNCIL_AREA_CODE = re.compile(r"^S12\d{6}$")

# The 32 council areas by their current codes, so that a ranks table naming council areas
# (as the published SIMD table does) can still be loaded.
COUNCIL_AREAS = {
    "S12000005": "Clackmannanshire",
    "S12000006": "Dumfries and Galloway",
    "S12000008": "East Ayrshire",
    "S12000010": "East Lothian",
    "S12000011": "East Renfrewshire",
    "S12000013": "Na h-Eileanan Siar",
    "S12000014": "Falkirk",
    "S12000017": "Highland",
    "S12000018": "Inverclyde",
    "S12000019": "Midlothian",
    "S12000020": "Moray",
    "S12000021": "North Ayrshire",
    "S12000023": "Orkney Islands",
    "S12000026": "Scottish Borders",
    "S12000027": "Shetland Islands",
    "S12000028": "South Ayrshire",
    "S12000029": "South Lanarkshire",
    "S12000030": "Stirling",
    "S12000033": "Aberdeen City",
    "S12000034": "Aberdeenshire",
    "S12000035": "Argyll and Bute",
    "S12000036": "City of Edinburgh",
    "S12000038": "Renfrewshire",
    "S12000039": "West Dunbartonshire",
    "S12000040": "West Lothian",
    "S12000041": "Angus",
    "S12000042": "Dundee City",
    "S12000045": "East Dunbartonshire",
    "S12000047": "Fife",
    "S12000048": "Perth and Kinross",
    "S12000049": "Glasgow City",
    "S12000050": "North Lanarkshire",
}
COUNCIL_AREA_BY_NAME = {name.lower(): code for code, name in COUNCIL_AREAS.items()}

DOMAINS = ("income", "employment", "health", "education", "access", "crime", "housing")

BRITISH_NATIONAL_GRID = 27700
WGS84 = 4326


class GeographyFileError(Exception):
    """A reference data file that cannot be loaded; the message says where and why."""


@dataclass
class ImportResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


def header_key(header: object) -> str:
    """A header without case, spaces or punctuation: "SIMD2020v2_Rank" -> "simd2020v2rank"."""
    return re.sub(r"[^a-z0-9]", "", str(header or "").lower())


def table_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[object]]]]:
    """The header row and the data rows (with their row numbers, the header being row 1) of a
    CSV or XLSX file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise GeographyFileError(
            f"it is not a CSV or XLSX file (the name ends {suffix or 'in nothing'!r})"
        )
    if not path.is_file():
        raise GeographyFileError("there is no such file")
    rows = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
    rows = [(number, row) for number, row in rows if any(str(v or "").strip() for v in row)]
    if not rows:
        raise GeographyFileError("the file is empty")
    (_, header), data = rows[0], rows[1:]
    return [str(h or "").strip() for h in header], iter(data)


def _csv_rows(path: Path) -> list[tuple[int, list[object]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(enumerate(csv.reader(handle), start=1))
    except UnicodeDecodeError:
        raise GeographyFileError(
            "it cannot be read as text in UTF-8 (is it really a CSV file? Save it as CSV UTF-8)"
        ) from None
    except (OSError, csv.Error) as exc:
        raise GeographyFileError(f"it cannot be read: {exc}") from None


def _xlsx_rows(path: Path) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise GeographyFileError(f"it cannot be read as an XLSX workbook ({exc})") from None
    try:
        # Published workbooks open with a notes sheet; the data is on the first sheet whose
        # first row names a data zone column.
        for sheet in book.worksheets:
            rows = list(enumerate(sheet.iter_rows(values_only=True), start=1))
            if rows and any(header_key(h) in ("datazone", "dz") for h in rows[0][1]):
                return [(n, list(row)) for n, row in rows]
        sheet = book.worksheets[0]
        return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        book.close()


def _column(headers: list[str], *patterns: str, required: str | None = None) -> int | None:
    """The index of the first header matching one of the regular expressions (on header_key)."""
    for pattern in patterns:
        for index, header in enumerate(headers):
            if re.fullmatch(pattern, header_key(header)):
                return index
    if required:
        raise GeographyFileError(
            f"it has no {required} column (the columns are: {', '.join(headers)})"
        )
    return None


def _cell(row: list[object], index: int | None) -> str:
    if index is None or index >= len(row) or row[index] is None:
        return ""
    value = row[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _whole_number(text: str) -> int | None:
    if text == "":
        return None
    if not re.fullmatch(r"\d+", text):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def simd_import(path: Path) -> ImportResult:
    """Load or update data zones, intermediate zones and council areas from the SIMD ranks table
    (CSV or XLSX). Quintile and decile come from the rank over the number of zones in the file."""
    path = Path(path)
    try:
        headers, rows = table_rows(path)
        columns = {
            "data_zone": _column(
                headers, "datazone", "dz", "datazonecode", "dzcode", required="Data_Zone"
            ),
            "data_zone_name": _column(headers, "datazonename", "dzname"),
            "intermediate_zone": _column(
                headers,
                "intermediatezone",
                "iz",
                "intermediatezonecode",
                "izcode",
                required="Intermediate_Zone",
            ),
            "intermediate_zone_code": _column(headers, "intermediatezonecode", "izcode"),
            "intermediate_zone_name": _column(headers, "intermediatezonename", "izname"),
            "council_area": _column(
                headers,
                "councilarea",
                "la",
                "ca",
                "councilareacode",
                "lacode",
                "cacode",
                required="Council_area",
            ),
            "council_area_code": _column(headers, "councilareacode", "lacode", "cacode"),
            "council_area_name": _column(headers, "councilareaname", "laname", "caname"),
            "population": _column(
                headers, "totalpopulation", "population", required="Total_population"
            ),
            "simd_rank": _column(
                headers,
                r"simd\d{4}v?\d*rank",
                "simdrank",
                "rankv2",
                "rank",
                required="SIMD2020v2_Rank",
            ),
        }
        for domain in DOMAINS:
            columns[f"{domain}_rank"] = _column(
                headers, rf"simd\d{{4}}v?\d*{domain}(domain)?rank", rf"{domain}(domain)?rank"
            )
        records = list(_simd_records(rows, columns, headers))
    except GeographyFileError as exc:
        raise GeographyFileError(f"{path} was not imported and nothing changed: {exc}") from None
    with transaction.atomic():
        return data_zones_save(records, zone_count=len(records))


def _simd_records(rows, columns, headers) -> Iterator[dict]:
    seen_zones: dict[str, int] = {}
    seen_ranks: dict[int, int] = {}
    rows = list(rows)
    count = len(rows)
    for number, row in rows:

        def fail(key: str, reason: str, number=number) -> GeographyFileError:
            return GeographyFileError(f"row {number}, column {headers[columns[key]]}: {reason}")

        code = _cell(row, columns["data_zone"])
        if not DATA_ZONE_CODE.match(code):
            raise fail("data_zone", f"{code!r} is not a data zone code (like S01007705)")
        if code in seen_zones:
            raise fail("data_zone", f"{code} appears twice (first in row {seen_zones[code]})")
        seen_zones[code] = number

        council = _cell(row, columns["council_area"])
        council_code = _cell(row, columns["council_area_code"])
        council_name = _cell(row, columns["council_area_name"])
        if COUNCIL_AREA_CODE.match(council):
            council_code = council_code or council
        else:
            council_name = council_name or council
            council_code = council_code or COUNCIL_AREA_BY_NAME.get(council.lower(), "")
        if not COUNCIL_AREA_CODE.match(council_code):
            raise fail("council_area", f"{council!r} is not a council area code or name")

        zone = _cell(row, columns["intermediate_zone"])
        zone_code = _cell(row, columns["intermediate_zone_code"])
        zone_name = _cell(row, columns["intermediate_zone_name"])
        if INTERMEDIATE_ZONE_CODE.match(zone):
            zone_code = zone_code or zone
        else:
            zone_name = zone_name or zone
        if not INTERMEDIATE_ZONE_CODE.match(zone_code):
            raise fail(
                "intermediate_zone",
                f"{zone!r} is not an intermediate zone code (like S02001234); a table that "
                "names intermediate zones needs an IZcode column too",
            )

        record = {
            "code": code,
            "name": _cell(row, columns["data_zone_name"]),
            "intermediate_zone_code": zone_code,
            "intermediate_zone_name": zone_name,
            "council_area_code": council_code,
            "council_area_name": council_name or COUNCIL_AREAS.get(council_code, ""),
        }
        for key in ("population", "simd_rank", *(f"{d}_rank" for d in DOMAINS)):
            if columns[key] is None:
                record[key] = None
                continue
            try:
                value = _whole_number(_cell(row, columns[key]))
            except ValueError as exc:
                raise fail(key, str(exc)) from None
            if key != "population" and value is not None and not 1 <= value <= count:
                raise fail(key, f"rank {value} is outside 1 to {count}, the number of data zones")
            record[key] = value
        if record["population"] is None:
            raise fail("population", "it is empty")
        rank = record["simd_rank"]
        if rank is None:
            raise fail("simd_rank", "it is empty")
        if rank in seen_ranks:
            raise fail("simd_rank", f"rank {rank} is also given in row {seen_ranks[rank]}")
        seen_ranks[rank] = number
        yield record


def simd_bands(rank: int, zone_count: int) -> tuple[int, int]:
    """The quintile and decile of a rank (1 is the most deprived) among zone_count zones."""
    return math.ceil(rank * 5 / zone_count), math.ceil(rank * 10 / zone_count)


def data_zones_save(records: list[dict], *, zone_count: int) -> ImportResult:
    """Create or update council areas, intermediate zones and data zones from checked records.
    Call inside a transaction."""
    councils = {c.code: c for c in CouncilArea.objects.all()}
    for record in records:
        code, name = record["council_area_code"], record["council_area_name"]
        council = councils.get(code)
        if council is None:
            councils[code] = CouncilArea.objects.create(code=code, name=name)
        elif name and council.name != name:
            council.name = name
            council.save(update_fields=["name"])

    zones = {z.code: z for z in IntermediateZone.objects.all()}
    for record in records:
        code, name = record["intermediate_zone_code"], record["intermediate_zone_name"]
        council = councils[record["council_area_code"]]
        zone = zones.get(code)
        if zone is None:
            zones[code] = IntermediateZone.objects.create(
                code=code, name=name, council_area=council
            )
        elif (name and zone.name != name) or zone.council_area_id != council.pk:
            zone.name = name or zone.name
            zone.council_area = council
            zone.save(update_fields=["name", "council_area"])

    existing = {z.code: z for z in DataZone.objects.filter(code__in=[r["code"] for r in records])}
    fields = [
        "name",
        "intermediate_zone",
        "council_area",
        "population",
        "simd_rank",
        "simd_quintile",
        "simd_decile",
        *(f"{d}_rank" for d in DOMAINS),
    ]
    new, changed = [], []
    for record in records:
        zone = existing.get(record["code"]) or DataZone(code=record["code"])
        zone.name = record["name"] or zone.name
        zone.intermediate_zone = zones[record["intermediate_zone_code"]]
        zone.council_area = councils[record["council_area_code"]]
        zone.population = record["population"]
        zone.simd_rank = record["simd_rank"]
        zone.simd_quintile, zone.simd_decile = simd_bands(record["simd_rank"], zone_count)
        for domain in DOMAINS:
            setattr(zone, f"{domain}_rank", record[f"{domain}_rank"])
        (changed if zone.pk else new).append(zone)
    DataZone.objects.bulk_create(new, batch_size=1000)
    DataZone.objects.bulk_update(changed, fields, batch_size=1000)
    return ImportResult(created=len(new), updated=len(changed))


DEFAULT_CODE_PROPERTIES = ("DataZone", "DZ2011_cod", "DataZone2011", "DZ_CODE", "code")


def boundaries_import(
    path: Path, level: str = "data_zone", code_property: str | None = None
) -> ImportResult:
    """Attach boundaries to data zones already loaded, from GeoJSON or a shapefile in British
    National Grid (EPSG:27700) or WGS84; they are stored in WGS84."""
    path = Path(path)
    try:
        if level != "data_zone":
            raise GeographyFileError(f"boundaries can only be loaded for data zones, not {level!r}")
        features, epsg = _boundary_features(path)
        boundaries = _boundaries_checked(features, epsg, code_property)
    except GeographyFileError as exc:
        raise GeographyFileError(f"{path} was not imported and nothing changed: {exc}") from None
    with transaction.atomic():
        zones = {z.code: z for z in DataZone.objects.filter(code__in=list(boundaries))}
        for code, (number, geometry) in boundaries.items():
            if code not in zones:
                raise GeographyFileError(
                    f"{path} was not imported and nothing changed: feature {number}: data zone "
                    f"{code} is not loaded (import the SIMD ranks table first)"
                )
            zone = zones[code]
            zone.boundary = shapely.to_geojson(geometry)
            zone.min_lon, zone.min_lat, zone.max_lon, zone.max_lat = geometry.bounds
        DataZone.objects.bulk_update(
            zones.values(), ["boundary", "min_lon", "min_lat", "max_lon", "max_lat"], batch_size=500
        )
    return ImportResult(created=0, updated=len(zones))


def _boundary_features(path: Path) -> tuple[list[tuple[dict, dict]], int | None]:
    """(properties, geometry) of each feature, and the EPSG code of the file if it says."""
    suffix = path.suffix.lower()
    if suffix not in (".geojson", ".json", ".shp"):
        raise GeographyFileError(
            f"it is not a GeoJSON file or a shapefile (the name ends {suffix or 'in nothing'!r})"
        )
    if not path.is_file():
        raise GeographyFileError("there is no such file")
    if suffix == ".shp":
        return _shapefile_features(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GeographyFileError(f"it cannot be read as GeoJSON ({exc})") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GeographyFileError("it is not a GeoJSON FeatureCollection")
    epsg = None
    name = str(((document.get("crs") or {}).get("properties") or {}).get("name", ""))
    if name:
        epsg = _epsg_of(CRS.from_user_input, name)
    features = []
    for feature in document.get("features") or []:
        if not isinstance(feature, dict):
            raise GeographyFileError(f"feature {len(features) + 1} is not a GeoJSON feature")
        features.append((feature.get("properties") or {}, feature.get("geometry")))
    return features, epsg


def _shapefile_features(path: Path) -> tuple[list[tuple[dict, dict]], int | None]:
    import shapefile

    epsg = None
    prj = path.with_suffix(".prj")
    if prj.is_file():
        epsg = _epsg_of(CRS.from_wkt, prj.read_text(errors="replace"))
    try:
        with shapefile.Reader(str(path)) as reader:
            features = [
                (item.record.as_dict(), item.shape.__geo_interface__)
                for item in reader.iterShapeRecords()
            ]
    except (shapefile.ShapefileException, OSError, ValueError) as exc:
        raise GeographyFileError(
            f"it cannot be read as a shapefile (the .shp, .shx and .dbf files belong "
            f"together): {exc}"
        ) from None
    return features, epsg


def _epsg_of(parse, text: str) -> int:
    try:
        crs = parse(text)
    except Exception:  # pyproj raises its own CRSError, and others for odd input.
        raise GeographyFileError(
            f"its coordinate reference system {text[:60]!r} is not known"
        ) from None
    if crs.equals(CRS.from_epsg(BRITISH_NATIONAL_GRID), ignore_axis_order=True):
        return BRITISH_NATIONAL_GRID
    if crs.equals(CRS.from_epsg(WGS84), ignore_axis_order=True) or crs.to_epsg() == WGS84:
        return WGS84
    if crs.to_epsg() == BRITISH_NATIONAL_GRID:
        return BRITISH_NATIONAL_GRID
    raise GeographyFileError(
        f"its coordinate reference system ({crs.name}) is neither British National Grid "
        "(EPSG:27700) nor WGS84"
    )


def _boundaries_checked(features, epsg, code_property) -> dict[str, tuple[int, object]]:
    if not features:
        raise GeographyFileError("it has no features")
    names = (code_property,) if code_property else DEFAULT_CODE_PROPERTIES
    geometries = {}
    for number, (properties, geometry) in enumerate(features, start=1):
        key = next((n for n in names if n in properties), None)
        if key is None:
            raise GeographyFileError(
                f"feature {number} has no {' or '.join(names)} property holding the zone code "
                f"(it has: {', '.join(properties) or 'none'}; choose one with --code-property)"
            )
        code = str(properties[key] or "").strip()
        if not DATA_ZONE_CODE.match(code):
            raise GeographyFileError(
                f"feature {number}, property {key}: {code!r} is not a data zone code"
            )
        try:
            polygon = shape(geometry)
        except Exception:  # shapely raises several kinds for malformed geometry.
            raise GeographyFileError(
                f"feature {number} ({code}): the geometry is not readable"
            ) from None
        if polygon.geom_type not in ("Polygon", "MultiPolygon") or polygon.is_empty:
            raise GeographyFileError(
                f"feature {number} ({code}): the geometry is a {polygon.geom_type}, not a polygon"
            )
        if code in geometries:
            raise GeographyFileError(
                f"feature {number}: data zone {code} appears twice (first in feature "
                f"{geometries[code][0]})"
            )
        geometries[code] = (number, polygon)
    if epsg is None:
        # No crs member: grid coordinates run to hundreds of thousands of metres, degrees do not.
        minx, miny, maxx, maxy = shapely.total_bounds([g for _, g in geometries.values()])
        epsg = (
            BRITISH_NATIONAL_GRID
            if max(abs(minx), abs(maxx), abs(miny), abs(maxy)) > 360
            else WGS84
        )
    if epsg == BRITISH_NATIONAL_GRID:
        to_wgs84 = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True).transform
        geometries = {
            c: (n, shapely.transform(g, to_wgs84, interleaved=False))
            for c, (n, g) in geometries.items()
        }
    for code, (number, polygon) in geometries.items():
        minx, miny, maxx, maxy = polygon.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise GeographyFileError(f"feature {number} ({code}): the coordinates are out of range")
        if not polygon.is_valid:
            geometries[code] = (number, shapely.make_valid(polygon))
    return geometries


def postcodes_import(path: Path) -> ImportResult:
    """Load or update the postcode to data zone lookup from a CSV file (postcode, data zone, and
    optionally easting and northing in British National Grid)."""
    path = Path(path)
    try:
        headers, rows = table_rows(path)
        columns = {
            "postcode": _column(headers, "postcode", "pcd", "pc", required="Postcode"),
            "data_zone": _column(
                headers, r"datazone\d*(code)?", r"dz\d*(code)?", required="DataZone"
            ),
            "easting": _column(headers, r".*easting"),
            "northing": _column(headers, r".*northing"),
        }
        records = _postcode_records(rows, columns, headers)
    except GeographyFileError as exc:
        raise GeographyFileError(f"{path} was not imported and nothing changed: {exc}") from None
    with transaction.atomic():
        existing = {
            p.postcode: p for p in PostcodeLookup.objects.filter(postcode__in=list(records))
        }
        new, changed = [], []
        for postcode, record in records.items():
            lookup = existing.get(postcode) or PostcodeLookup(postcode=postcode)
            lookup.data_zone_id = record["data_zone_id"]
            lookup.easting, lookup.northing = record["easting"], record["northing"]
            (changed if lookup.pk else new).append(lookup)
        PostcodeLookup.objects.bulk_create(new, batch_size=1000)
        PostcodeLookup.objects.bulk_update(
            changed, ["data_zone", "easting", "northing"], batch_size=1000
        )
    return ImportResult(created=len(new), updated=len(changed))


def _postcode_records(rows, columns, headers) -> dict[str, dict]:
    zone_ids = dict(DataZone.objects.values_list("code", "pk"))
    records: dict[str, dict] = {}
    for number, row in rows:

        def fail(key: str, reason: str, number=number) -> GeographyFileError:
            return GeographyFileError(f"row {number}, column {headers[columns[key]]}: {reason}")

        try:
            postcode = postcode_normalise(_cell(row, columns["postcode"]))
        except ValueError as exc:
            raise fail("postcode", str(exc)) from None
        if postcode in records:
            raise fail(
                "postcode", f"{postcode} appears twice (first in row {records[postcode]['row']})"
            )
        zone = _cell(row, columns["data_zone"])
        if zone not in zone_ids:
            raise fail(
                "data_zone",
                f"data zone {zone!r} is not loaded (import the SIMD ranks table first)"
                if DATA_ZONE_CODE.match(zone)
                else f"{zone!r} is not a data zone code (like S01007705)",
            )
        record = {"row": number, "data_zone_id": zone_ids[zone]}
        for key in ("easting", "northing"):
            try:
                record[key] = _whole_number(_cell(row, columns[key]))
            except ValueError as exc:
                raise fail(key, str(exc)) from None
        records[postcode] = record
    return records
