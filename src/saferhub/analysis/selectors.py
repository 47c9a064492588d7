"""The Analysis area's one way in to the hub's records, always through the sharing engine.

Statistics serve the `analysis` purpose: a record counts when the reader may see it at
`aggregate` or above, and is absent when at `none`. The frames returned hold no names,
addresses, narrative or identifiers. Coordinates and the keys that tell one place or person
from another are there only for computations whose outputs are counts; a list that names a
place keeps to records the reader may see at `depersonalised` or above (`listable`), and
shows the place as its data zone.
"""

import datetime
from dataclasses import dataclass

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from saferhub.geography.models import DataZone, PostcodeLookup
from saferhub.incidents.models import Incident, IncidentPerson
from saferhub.incidents.selectors import SUPPRESS_BELOW, incidents_at_least
from saferhub.linkage.models import RecordLink
from saferhub.partnerships.models import Partnership, User
from saferhub.partnerships.themes import has_theme
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Level, Purpose

EVENT_COLUMNS = [
    "incident",
    "occurred_at",
    "category",
    "themes",
    "data_zone",
    "place_key",
    "easting",
    "northing",
    "listable",
]
VICTIM_COLUMNS = ["incident", "occurred_at", "victim_key"]
SUPPRESSED_TEXT = f"fewer than {SUPPRESS_BELOW}"


@dataclass(frozen=True)
class Published:
    """A count as it may be published: under SUPPRESS_BELOW it is withheld (None)."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return SUPPRESSED_TEXT if self.value is None else f"{self.value:,}"


def published(count) -> Published:
    """The one rule for every published figure: counts from 1 to 4 are suppressed (0 is
    shown: it tells of no one)."""
    if count is None or pd.isna(count):
        return Published(None)
    count = int(count)
    return Published(None if 0 < count < SUPPRESS_BELOW else count)


def analysis_reader(user: User, partnership: Partnership) -> Reader:
    """The reader for the Analysis area of one partnership."""
    return reader_in_partnership(reader_for(user, Purpose.ANALYSIS), partnership.pk)


def _counted(
    reader: Reader,
    at_least: str,
    *,
    partnership: Partnership,
    date_from: datetime.date,
    date_to: datetime.date,
    theme: str | None,
    category: str | None,
    data_zones: tuple[str, ...] | None,
) -> QuerySet[Incident]:
    incidents = incidents_at_least(reader, at_least).filter(
        partnership=partnership,
        occurred_at__date__gte=date_from,
        occurred_at__date__lte=date_to,
    )
    if theme:
        book = reader.theme_books().get(partnership.pk)
        found = book.by_code.get(theme) if book else None
        # A theme the partnership does not have matches nothing (not everything).
        incidents = (
            incidents.filter(has_theme("theme_mask", found.bit)) if found else incidents.none()
        )
    if category:
        incidents = incidents.filter(category=category)
    if data_zones is not None:
        incidents = incidents.filter(data_zone__in=data_zones)
    return incidents


def analysis_events(
    *,
    reader: Reader,
    partnership: Partnership,
    date_from: datetime.date,
    date_to: datetime.date,
    theme: str | None = None,
    category: str | None = None,
    data_zones: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """One row per incident the reader may count (`aggregate` or above) in the partnership
    between the dates (inclusive), with the columns of EVENT_COLUMNS:

    - occurred_at: local time, without a time zone; themes: a tuple of theme codes;
    - place_key: the linked place (entity) where linked, else the owner's place record, else
      the owner's address as typed; blank when none was given. Never shown;
    - easting, northing: British National Grid metres, from the place record or else the
      postcode's centre; blank when neither is known. Never shown;
    - listable: whether the reader may see the incident at `depersonalised` or above.
    """
    scope = dict(
        partnership=partnership,
        date_from=date_from,
        date_to=date_to,
        theme=theme,
        category=category,
        data_zones=data_zones,
    )
    rows = list(
        _counted(reader, Level.AGGREGATE, **scope).values_list(
            "pk",
            "occurred_at",
            "category",
            "theme_mask",
            "data_zone",
            "owner_id",
            "address",
            "postcode",
            "place_record_id",
            "place_record__easting",
            "place_record__northing",
        )
    )
    if not rows:
        return _frame([], EVENT_COLUMNS)
    listable = set(_counted(reader, Level.DEPERSONALISED, **scope).values_list("pk", flat=True))
    book = reader.theme_books().get(partnership.pk)
    place_ids = {row[8] for row in rows if row[8]}
    entities = _entities_of(partnership, "place_record", place_ids)
    postcodes = {row[7] for row in rows if row[7] and row[9] is None}
    centres = {
        postcode: (easting, northing)
        for postcode, easting, northing in PostcodeLookup.objects.filter(
            postcode__in=postcodes, easting__isnull=False
        ).values_list("postcode", "easting", "northing")
    }
    zone = timezone.get_current_timezone()
    records = []
    for pk, occurred, category_, mask, data_zone, owner, address, postcode, place, x, y in rows:
        if place:
            key = f"entity-{entities[place]}" if place in entities else f"record-{place}"
        elif address.strip():
            key = f"address-{owner}-{' '.join(address.lower().split())}-{postcode.upper()}"
        else:
            key = None
        if x is None and postcode in centres:
            x, y = centres[postcode]
        records.append(
            (
                pk,
                timezone.localtime(occurred, zone).replace(tzinfo=None),
                category_,
                tuple(t.code for t in book.themes_in(mask)) if book else (),
                data_zone or None,
                key,
                x,
                y,
                pk in listable,
            )
        )
    return _frame(records, EVENT_COLUMNS)


def analysis_victims(
    *,
    reader: Reader,
    partnership: Partnership,
    date_from: datetime.date,
    date_to: datetime.date,
    theme: str | None = None,
    category: str | None = None,
) -> pd.DataFrame:
    """One row per victim of each incident the reader may count, with a key that tells one
    person from another (VICTIM_COLUMNS). The key is the linked person (entity) where the
    person record is linked, else the person record, else the name and date of birth as the
    owner recorded them. Only for counting: the key is never shown."""
    incidents = _counted(
        reader,
        Level.AGGREGATE,
        partnership=partnership,
        date_from=date_from,
        date_to=date_to,
        theme=theme,
        category=category,
        data_zones=None,
    )
    rows = list(
        IncidentPerson.objects.filter(incident__in=incidents, role="victim").values_list(
            "incident_id",
            "incident__occurred_at",
            "incident__owner_id",
            "person_record_id",
            "given_name",
            "family_name",
            "date_of_birth",
        )
    )
    entities = _entities_of(partnership, "person_record", {row[3] for row in rows if row[3]})
    records = []
    for incident, occurred, owner, person, given, family, born in rows:
        if person:
            key = f"entity-{entities[person]}" if person in entities else f"record-{person}"
        elif given or family:
            name = f"{given} {family}".lower().strip()
            key = f"named-{owner}-{name}-{born}"
        else:
            key = None
        records.append((incident, timezone.localtime(occurred).replace(tzinfo=None), key))
    return _frame(records, VICTIM_COLUMNS)


def _frame(records: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    # Typed even when empty, so that comparing dates works on no rows too.
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"])
    if "listable" in frame:
        frame["listable"] = frame["listable"].astype(bool)
    return frame


def _entities_of(partnership: Partnership, field: str, record_ids: set[int]) -> dict[int, int]:
    if not record_ids:
        return {}
    return dict(
        RecordLink.objects.filter(
            partnership=partnership, **{f"{field}__in": record_ids}
        ).values_list(field, "entity_id")
    )


def analysis_zones(*, partnership: Partnership, used: set[str]) -> pd.DataFrame:
    """The data zones of the partnership's area: every zone of the council areas named by
    the partnership or holding any of the `used` zones, with population, SIMD rank and
    boundary (GeoJSON text, WGS84). Not sensitive: published reference data."""
    councils = set(
        DataZone.objects.filter(code__in=used).values_list("council_area_id", flat=True)
    ) | set(
        DataZone.objects.filter(council_area__name=partnership.local_authority).values_list(
            "council_area_id", flat=True
        )
    )
    rows = DataZone.objects.filter(council_area_id__in=councils).values_list(
        "code", "name", "population", "simd_rank", "boundary"
    )
    return pd.DataFrame.from_records(
        list(rows), columns=["code", "name", "population", "simd_rank", "boundary"]
    )


def analysis_themes(*, reader: Reader, partnership: Partnership) -> list[tuple[str, str]]:
    """The partnership's themes as (code, name), for filters."""
    book = reader.theme_books().get(partnership.pk)
    if book is None:
        return []
    return sorted(((t.code, t.name) for t in book.by_code.values()), key=lambda t: t[1])
