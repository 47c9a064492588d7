"""A made-up but plausible geography for the demo: a grid of square data zones over Dundee and
Angus, with SIMD ranks, intermediate zones and postcodes. Not real boundaries or ranks."""

import random

import shapely
from django.db import transaction
from pyproj import Transformer
from shapely.geometry import box

from saferhub.geography.models import DataZone, PostcodeLookup
from saferhub.geography.services import (
    BRITISH_NATIONAL_GRID,
    DOMAINS,
    WGS84,
    data_zones_save,
)

SIMD_ZONES = 6976  # data zones in Scotland (2011 data zones, SIMD 2020v2)
COLUMNS, ROWS = 24, 16  # 384 data zones
SIDE = 500  # metres
WEST, SOUTH = 334000, 727000  # the south-west corner, on the Tay by Dundee
# Dundee City is the southern rows; Angus lies north of it.
DUNDEE_ROWS = 8
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def demo_geography_load(seed: int = 1) -> int:
    """Create or replace the demo data zones, their boundaries and postcodes; the same seed
    gives the same geography. Returns the number of data zones."""
    rng = random.Random(seed)
    ranks = rng.sample(range(1, SIMD_ZONES + 1), COLUMNS * ROWS)
    to_wgs84 = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True).transform
    records, squares = [], {}
    for row in range(ROWS):
        for column in range(COLUMNS):
            number = row * COLUMNS + column
            code = f"S0109{number:04d}"
            dundee = row < DUNDEE_ROWS
            # Intermediate zones are blocks of three columns by two rows: six data zones.
            zone_number = (row // 2) * (COLUMNS // 3) + column // 3
            rank = ranks[number]
            record = {
                "code": code,
                "name": f"{'Dundee' if dundee else 'Angus'} {row + 1:02d}-{column + 1:02d}",
                "intermediate_zone_code": f"S0209{zone_number:04d}",
                "intermediate_zone_name": f"{'Dundee' if dundee else 'Angus'} area "
                f"{zone_number + 1}",
                "council_area_code": "S12000042" if dundee else "S12000041",
                "council_area_name": "Dundee City" if dundee else "Angus",
                "population": rng.randint(500, 1000),
                "simd_rank": rank,
            }
            for domain in DOMAINS:
                # Domain ranks follow the overall rank loosely, as they do in the real index.
                spread = rng.randint(-900, 900)
                record[f"{domain}_rank"] = min(SIMD_ZONES, max(1, rank + spread))
            records.append(record)
            east, north = WEST + column * SIDE, SOUTH + row * SIDE
            squares[code] = (row, column, box(east, north, east + SIDE, north + SIDE))
    with transaction.atomic():
        data_zones_save(records, zone_count=SIMD_ZONES)
        zones = list(DataZone.objects.filter(code__in=list(squares)))
        for zone in zones:
            geometry = shapely.transform(squares[zone.code][2], to_wgs84, interleaved=False)
            zone.boundary = shapely.to_geojson(geometry)
            zone.min_lon, zone.min_lat, zone.max_lon, zone.max_lat = geometry.bounds
        DataZone.objects.bulk_update(
            zones, ["boundary", "min_lon", "min_lat", "max_lon", "max_lat"], batch_size=500
        )
        _postcodes_load(rng, zones, squares)
    return len(zones)


def _postcodes_load(rng: random.Random, zones: list[DataZone], squares: dict) -> None:
    PostcodeLookup.objects.filter(data_zone__in=zones).delete()
    # Never take a postcode that a real lookup has already loaded.
    lookups, used = [], set(PostcodeLookup.objects.values_list("postcode", flat=True))
    for zone in zones:
        row, column, square = squares[zone.code]
        # DD1 in the middle of the city, DD2 west, DD3 north, DD4 east, DD5 the far east.
        if row < DUNDEE_ROWS and 9 <= column < 15:
            district = "DD1" if row < 4 else "DD3"
        elif column < 9:
            district = "DD2"
        else:
            district = "DD4" if column < 20 else "DD5"
        minx, miny, maxx, maxy = square.bounds
        for _ in range(rng.randint(2, 4)):
            postcode = None
            while postcode is None or postcode in used:
                postcode = (
                    f"{district} {rng.randint(1, 9)}"
                    f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
                )
            used.add(postcode)
            lookups.append(
                PostcodeLookup(
                    postcode=postcode,
                    data_zone=zone,
                    easting=rng.randint(int(minx) + 1, int(maxx) - 1),
                    northing=rng.randint(int(miny) + 1, int(maxy) - 1),
                )
            )
    PostcodeLookup.objects.bulk_create(lookups, batch_size=1000)
