"""Reading incidents, always through the sharing engine.

Every function takes a `Reader` (saferhub.sharing.engine.reader_for) and returns only what
the sharing rules let that reader see: a record at `none` is absent everywhere, one at
`aggregate` only counts, and lists hold records at `depersonalised` or above.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth

from saferhub.incidents.models import Incident, IncidentPerson, RelevantPartner
from saferhub.partnerships.themes import books_for, has_theme
from saferhub.sharing.engine import Access, Reader, RecordShape, decide, visibility_filter
from saferhub.sharing.models import Level

INCIDENT_SHAPE = RecordShape(
    theme_mask_field="theme_mask",
    relevant_partner_links=RelevantPartner,
    record_field="incident",
    emergency_ids="emergency_incident_ids",
)

# Published counts below this are suppressed, so that no one can be picked out of a figure.
SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class IncidentFilters:
    partnership: str | None = None
    theme: str | None = None
    category: str | None = None
    occurred_from: datetime.date | None = None
    occurred_to: datetime.date | None = None
    owner: str | None = None
    risk: str | None = None
    # Only incidents in these data zones (codes such as S01007700); None for anywhere.
    data_zones: tuple[str, ...] | None = None


def incidents_at_least(reader: Reader, at_least: str) -> QuerySet[Incident]:
    """Every incident the reader may see at `at_least` or above, unordered (one filter)."""
    return Incident.objects.filter(visibility_filter(reader, INCIDENT_SHAPE, at_least))


def _filtered(
    queryset: QuerySet[Incident], filters: IncidentFilters, reader: Reader
) -> QuerySet[Incident]:
    if filters.partnership:
        queryset = queryset.filter(partnership__code=filters.partnership)
    if filters.theme:
        queryset = queryset.filter(_theme_is(filters.theme, reader))
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.occurred_from:
        queryset = queryset.filter(occurred_at__date__gte=filters.occurred_from)
    if filters.occurred_to:
        queryset = queryset.filter(occurred_at__date__lte=filters.occurred_to)
    if filters.owner:
        queryset = queryset.filter(owner__code=filters.owner)
    if filters.risk:
        queryset = queryset.filter(risk=filters.risk)
    if filters.data_zones is not None:
        queryset = queryset.filter(data_zone__in=filters.data_zones)
    return queryset


def _theme_is(code: str, reader: Reader) -> Q:
    """Incidents with the theme `code`, whose bit may differ between partnerships."""
    condition = Q(pk__in=[])
    for partnership_id, book in reader.theme_books().items():
        theme = book.by_code.get(code)
        if theme is not None:
            condition |= Q(partnership_id=partnership_id) & has_theme("theme_mask", theme.bit)
    return condition


def incidents_visible_to(
    *, reader: Reader, filters: IncidentFilters = IncidentFilters()
) -> QuerySet[Incident]:
    """Incidents the reader may see in a list (depersonalised or personal), newest first.
    One query, filtered in the database; `access_of` then says how each may be shown."""
    queryset = _filtered(incidents_at_least(reader, Level.DEPERSONALISED), filters, reader)
    return queryset.select_related("partnership", "owner").order_by("-occurred_at", "-id")


def with_details(queryset: QuerySet[Incident]) -> list[Incident]:
    """Fetch what showing incidents needs (people, themes, partners) in a few queries."""
    incidents = list(
        queryset.prefetch_related(
            Prefetch("people", queryset=IncidentPerson.objects.order_by("pk")),
            "relevant_partners",
        )
    )
    books = books_for({i.partnership_id for i in incidents}) if incidents else {}
    for incident in incidents:
        incident.theme_list(books[incident.partnership_id])
    return incidents


def incident_visible_to(*, reader: Reader, incident_id: int) -> tuple[Incident, Access]:
    """One incident and the reader's access to it; Incident.DoesNotExist if they may not
    see it listed (a page or API answers 404, as for an incident that does not exist)."""
    found = with_details(incidents_visible_to(reader=reader).filter(pk=incident_id))
    if not found:
        raise Incident.DoesNotExist(incident_id)
    return found[0], access_of(reader, found[0])


def access_of(reader: Reader, incident: Incident) -> Access:
    """How the reader may see an incident fetched with `with_details`, and why."""
    return decide(
        reader,
        partnership_id=incident.partnership_id,
        owner_id=incident.owner_id,
        theme_ids={theme.pk for theme in incident.theme_list()},
        restricted=incident.restricted,
        relevant_partner_ids={o.pk for o in incident.relevant_partners.all()},
        emergency=incident.pk in reader.emergency_incident_ids,
    )


# Counting every visible incident of a large partnership means testing the sharing rules on
# each of them; lists count exactly up to here and say "more than" beyond.
COUNT_UP_TO = 10_000


def count_up_to(queryset: QuerySet, limit: int = COUNT_UP_TO) -> tuple[int, bool]:
    """How many rows, exactly when at most `limit`; else (limit, False)."""
    count = queryset[: limit + 1].count()
    return (count, True) if count <= limit else (limit, False)


GROUPINGS = ("theme", "month", "category", "owner", "risk", "partnership", "data_zone")


def incident_counts(
    *, reader: Reader, by: list[str], filters: IncidentFilters = IncidentFilters()
) -> list[dict]:
    """Counts of the incidents the reader may see at `aggregate` or above, grouped as asked.

    A count under SUPPRESS_BELOW is given as None with `suppressed` set. An incident with
    several themes counts once under each.
    """
    unknown = [group for group in by if group not in GROUPINGS]
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}")
    visible = _filtered(incidents_at_least(reader, Level.AGGREGATE), filters, reader)
    fields = {
        "category": "category",
        "owner": "owner__code",
        "risk": "risk",
        "partnership": "partnership__code",
        "data_zone": "data_zone",
    }
    if "month" in by:
        visible = visible.annotate(month=TruncMonth("occurred_at"))
        fields["month"] = "month"
    others = [group for group in by if group != "theme"]
    names = [fields[group] for group in others]
    if "theme" in by:
        # A theme is a bit of the mask: count each theme's incidents on their own.
        codes = sorted({code for book in reader.theme_books().values() for code in book.by_code})
        groups = [({"theme": code}, visible.filter(_theme_is(code, reader))) for code in codes]
    else:
        groups = [({}, visible)]
    result = []
    for fixed, rows in groups:
        grouped = (
            rows.values(*names).annotate(count=Count("pk")).order_by(*names)
            if names
            else [{"count": rows.count()}]
        )
        for row in grouped:
            if not row["count"]:
                continue
            item = {**fixed, **{g: _plain(row[fields[g]]) for g in others}}
            item = {group: item[group] for group in by}
            suppressed = row["count"] < SUPPRESS_BELOW
            item.update(count=None if suppressed else row["count"], suppressed=suppressed)
            result.append(item)
    result.sort(key=lambda item: [str(item[group]) for group in by])
    return result


def _plain(value):
    """A month as YYYY-MM (a datetime is also a date); anything else as it is."""
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m")
    return value
