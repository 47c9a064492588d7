"""Patterns planted in the demo so that the Analysis pages have something real to find:
hotspot data zones, repeat locations and a near-repeat housebreaking series.

Every incident is recorded through the hub's own services (place records through
saferhub.places.services, incidents through saferhub.incidents.services.incident_create),
as the police would record them, so that they are shared by the partnership's protocols
like any other. The same seed gives the same incidents.
"""

import datetime
import random
from dataclasses import dataclass

import shapely
from django.db import transaction
from pyproj import Transformer

from saferhub.geography.models import DataZone
from saferhub.geography.services import BRITISH_NATIONAL_GRID, WGS84
from saferhub.incidents.models import Incident
from saferhub.incidents.services import IncidentInput, incident_create
from saferhub.partnerships.models import Partnership, User
from saferhub.places.services import PlaceRecordInput, place_record_create

REFERENCE = "PATTERN"
HOTSPOTS = 2
# Incidents in a hotspot's central zone and in each zone touching it, over the last year.
HOTSPOT_CENTRE_INCIDENTS = 40
HOTSPOT_NEIGHBOUR_INCIDENTS = 12
REPEAT_LOCATIONS = 3
SERIES_LENGTH = 14
# Housebreakings spread over the area and the year: what the series stands out from.
BACKGROUND_HOUSEBREAKINGS = 80


@dataclass(frozen=True)
class Zone:
    code: str
    shape: object  # a shapely polygon in British National Grid metres


@dataclass
class PlantedPatterns:
    """What demo_patterns_plan chose, for tests and for the demo's own notes."""

    hotspot_zones: list[str]
    repeat_places: list[int]
    series_zone: str


def demo_patterns_load(*, partnership: Partnership, seed: int, now: datetime.datetime) -> int:
    """Record the pattern incidents for `partnership` unless they are there already; return
    how many were recorded (0 when the area has too few data zones or no police user)."""
    planted = _load(partnership=partnership, seed=seed, now=now)
    return planted[0]


def demo_patterns_planted(
    *, partnership: Partnership, seed: int, now: datetime.datetime
) -> tuple[int, PlantedPatterns | None]:
    """As demo_patterns_load, and say where the patterns were planted."""
    return _load(partnership=partnership, seed=seed, now=now)


@transaction.atomic
def _load(*, partnership, seed, now) -> tuple[int, PlantedPatterns | None]:
    prefix = f"{REFERENCE}-{partnership.code.upper()}-"
    if Incident.objects.filter(partnership=partnership, source_ref__startswith=prefix).exists():
        return 0, None
    recorder = _recorder(partnership)
    zones = _zones(partnership)
    if recorder is None or len(zones) < 12:
        return 0, None
    rng = random.Random(f"{seed}-{partnership.code}-analysis-patterns")
    neighbours = _neighbours(zones)
    made = []

    def create(category, themes, occurred, zone, place=None, address=""):
        data = IncidentInput(
            category=category,
            themes=themes,
            occurred_at=occurred,
            reported_at=occurred + datetime.timedelta(minutes=rng.randint(5, 240)),
            risk=rng.choice(["green", "green", "amber"]),
            source_ref=f"{prefix}{len(made) + 1:05d}",
            address=address,
            # The place's own data zone where it has one (a series may cross a boundary).
            data_zone=(place.data_zone if place else "") or zone.code,
            place_record_id=place.pk if place else None,
            narrative="",
        )
        made.append(incident_create(user=recorder, partnership=partnership, data=data))

    def when(days: int) -> datetime.datetime:
        return now - datetime.timedelta(days=rng.randint(1, days), minutes=rng.randint(0, 1439))

    # Hotspots: an interior zone and the zones touching it, well apart from each other.
    interior = [z for z in zones if len(neighbours[z.code]) >= 8]
    rng.shuffle(interior)
    centres: list[Zone] = []
    for zone in interior:
        if all(zone.shape.distance(c.shape) > 3000 for c in centres):
            centres.append(zone)
        if len(centres) == HOTSPOTS:
            break
    by_code = {z.code: z for z in zones}
    for centre in centres:
        for _ in range(HOTSPOT_CENTRE_INCIDENTS):
            create(rng.choice(["youth_disorder", "vandalism"]), ["asb"], when(360), centre)
        for code in neighbours[centre.code]:
            for _ in range(HOTSPOT_NEIGHBOUR_INCIDENTS):
                create(rng.choice(["youth_disorder", "noise"]), ["asb"], when(360), by_code[code])

    # Repeat locations: the same place record, again and again, in the hotspots.
    repeat_places = []
    for number in range(REPEAT_LOCATIONS):
        zone = centres[number % len(centres)]
        place = _place(recorder, zone, f"{prefix}PLACE-{number + 1}", rng)
        repeat_places.append(place.pk)
        for _ in range(rng.randint(8, 14)):
            create("neighbour_dispute", ["asb"], when(360), zone, place, place.address_line_1)

    # A near-repeat housebreaking series: each break-in within 150 metres and a few days of
    # the one before, over a background of housebreakings spread across area and year.
    series_zone = rng.choice([z for z in zones if z not in centres])
    start = now - datetime.timedelta(days=rng.randint(30, 80))
    x, y = _inside(series_zone, rng)
    for number in range(SERIES_LENGTH):
        occurred = start + datetime.timedelta(
            days=number * rng.randint(1, 3), hours=rng.randint(0, 20)
        )
        x, y = x + rng.uniform(-120, 120), y + rng.uniform(-120, 120)
        place = _place(recorder, series_zone, f"{prefix}SERIES-{number + 1}", rng, at=(x, y))
        create(
            "housebreaking",
            ["acquisitive_crime"],
            occurred,
            series_zone,
            place,
            place.address_line_1,
        )
    for number in range(BACKGROUND_HOUSEBREAKINGS):
        zone = rng.choice(zones)
        place = _place(recorder, zone, f"{prefix}HOUSE-{number + 1}", rng)
        create("housebreaking", ["acquisitive_crime"], when(360), zone, place, place.address_line_1)

    return len(made), PlantedPatterns(
        hotspot_zones=[c.code for c in centres],
        repeat_places=repeat_places,
        series_zone=series_zone.code,
    )


def _recorder(partnership: Partnership) -> User | None:
    """A police user of the partnership (the police record most of what is planted)."""
    return (
        User.objects.filter(
            role_assignments__partnership=partnership,
            organisation__kind="police",
            organisation__memberships__partnership=partnership,
        )
        .order_by("username")
        .first()
    )


def _zones(partnership: Partnership) -> list[Zone]:
    to_grid = Transformer.from_crs(WGS84, BRITISH_NATIONAL_GRID, always_xy=True).transform
    rows = (
        DataZone.objects.filter(council_area__name=partnership.local_authority)
        .exclude(boundary="")
        .order_by("code")
        .values_list("code", "boundary")
    )
    return [
        Zone(
            code,
            shapely.transform(
                shapely.from_geojson(boundary),
                lambda xy: _grid(to_grid, xy),
            ),
        )
        for code, boundary in rows
    ]


def _grid(to_grid, xy):
    import numpy as np

    x, y = to_grid(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _neighbours(zones: list[Zone]) -> dict[str, list[str]]:
    """Zones sharing an edge or a corner (queen contiguity), by code, in code order."""
    tree = shapely.STRtree([z.shape for z in zones])
    found = {}
    for zone in zones:
        near = tree.query(zone.shape.buffer(1))
        found[zone.code] = sorted(
            zones[i].code
            for i in near
            if zones[i].code != zone.code and zones[i].shape.distance(zone.shape) < 1
        )
    return found


def _inside(zone: Zone, rng: random.Random) -> tuple[float, float]:
    west, south, east, north = zone.shape.bounds
    for _ in range(100):
        x, y = rng.uniform(west, east), rng.uniform(south, north)
        if zone.shape.contains(shapely.Point(x, y)):
            return x, y
    point = zone.shape.representative_point()
    return point.x, point.y


STREETS = ["Hilltown", "Albert Street", "Lochee Road", "Strathmartine Road", "Kings Cross Road"]


def _place(recorder: User, zone: Zone, reference: str, rng, *, at=None):
    x, y = at or _inside(zone, rng)
    return place_record_create(
        user=recorder,
        organisation=recorder.organisation,
        data=PlaceRecordInput(
            source_ref=reference,
            address_line_1=f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            easting=round(x, 1),
            northing=round(y, 1),
        ),
    )
