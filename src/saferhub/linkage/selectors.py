"""Reading linked people and places, always through the sharing engine.

An entity exists for a reader only through the records it gathers that the reader may see
(DESIGN.md section 4): it is never shown above the level of those records, each record is
shown at its own level, and nothing is said about the others — not their number, not the
organisations holding them. A pair for review is offered only to a reviewer who may see
both of its records in full, or the pair itself would tell them the other record exists.
"""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from saferhub.incidents.appearances import Appearance
from saferhub.incidents.models import Incident
from saferhub.linkage.models import (
    CandidatePair,
    Entity,
    EntityEvent,
    EntityKind,
    LinkageRun,
    LinkageThresholds,
    LinkedBy,
    PairStatus,
    RecordLink,
)
from saferhub.partnerships.models import Partnership
from saferhub.people.models import PersonRecord
from saferhub.people.selectors import (
    person_record_access,
    person_record_incidents,
    person_records_visible_to,
)
from saferhub.places.models import PlaceRecord
from saferhub.places.selectors import (
    place_record_access,
    place_record_incidents,
    place_records_visible_to,
)
from saferhub.sharing.engine import RANK, Access, Reader
from saferhub.sharing.models import Level

HeldRecord = PersonRecord | PlaceRecord

# Incidents listed under each record of a single view.
INCIDENTS_PER_RECORD = 20


def record_field(kind: str) -> str:
    """The RecordLink field that points at a record of this kind."""
    return "person_record" if kind == EntityKind.PERSON else "place_record"


def records_visible_to(
    *, reader: Reader, kind: str, at_least: str = Level.DEPERSONALISED
) -> QuerySet:
    """Person or place records the reader may see at `at_least` or above (one query)."""
    if kind == EntityKind.PERSON:
        return person_records_visible_to(reader=reader, at_least=at_least)
    if kind == EntityKind.PLACE:
        return place_records_visible_to(reader=reader, at_least=at_least)
    raise ValueError(f"unknown kind {kind!r}")


def record_access(reader: Reader, record: HeldRecord) -> tuple[Access, Appearance | None]:
    """The reader's access to one record, and the incident that grants it."""
    if isinstance(record, PersonRecord):
        return person_record_access(reader, record)
    return place_record_access(reader, record)


def entities_visible_to(*, reader: Reader, kind: str) -> QuerySet[Entity]:
    """Entities of this kind, not merged into another, with at least one record the reader
    may see at depersonalised or above (one query)."""
    visible = records_visible_to(reader=reader, kind=kind).values("pk")
    gathering = RecordLink.objects.filter(**{f"{record_field(kind)}__in": visible}).values(
        "entity_id"
    )
    return Entity.objects.filter(
        kind=kind,
        partnership_id__in=reader.partnerships,
        merged_into__isnull=True,
        pk__in=gathering,
    )


def entity_of_record(*, reader: Reader, record: HeldRecord) -> int | None:
    """The id of the entity a record the reader is looking at belongs to in the reader's
    partnership, when the reader may see that entity (for the record page's link)."""
    kind = EntityKind.PERSON if isinstance(record, PersonRecord) else EntityKind.PLACE
    return (
        entities_visible_to(reader=reader, kind=kind)
        .filter(**{f"links__{record_field(kind)}": record})
        .values_list("pk", flat=True)
        .first()
    )


@dataclass
class RecordInView:
    """One record of a single view, with the reader's own access to it."""

    link: RecordLink
    record: HeldRecord
    access: Access
    incident: Appearance | None
    incidents: list[Incident] = field(default_factory=list)
    incident_count: int = 0
    incident_count_exact: bool = True


@dataclass
class EntityView:
    """What the reader may see of one entity: only the records they may see."""

    entity: Entity
    level: str
    records: list[RecordInView]
    # The events that concern only records in `records` (see entity_history).
    history: list[EntityEvent] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.entity.kind


def _survivor(entity: Entity) -> Entity:
    seen = set()
    while entity.merged_into_id is not None and entity.pk not in seen:
        seen.add(entity.pk)
        entity = Entity.objects.get(pk=entity.merged_into_id)
    return entity


def _records_in_view(reader: Reader, entity: Entity) -> list[RecordInView]:
    name = record_field(entity.kind)
    visible = records_visible_to(reader=reader, kind=entity.kind).values("pk")
    links = (
        RecordLink.objects.filter(entity=entity, **{f"{name}__in": visible})
        .select_related(f"{name}__organisation")
        .order_by(f"{name}__organisation__name", "-match_probability", "pk")
    )
    shown = []
    for link in links:
        record = getattr(link, name)
        access, incident = record_access(reader, record)
        # The filter and the per-record decision follow the same rules; the decision is the
        # one that says how to show it, and it never shows a record below depersonalised.
        if access.rank < RANK[Level.DEPERSONALISED]:
            continue
        shown.append(RecordInView(link=link, record=record, access=access, incident=incident))
    return shown


def entity_single_view(
    *, reader: Reader, entity_id: int, partnership: Partnership, with_incidents: bool = True
) -> EntityView:
    """The entity (or, for a merged one, the entity it was merged into) as the reader may
    see it: each visible record at its own level with its incidents. Entity.DoesNotExist
    when the reader may see none of its records, exactly as for an id that does not exist."""
    entity = Entity.objects.filter(pk=entity_id, partnership=partnership).first()
    if entity is None or partnership.pk not in reader.partnerships:
        raise Entity.DoesNotExist(entity_id)
    entity = _survivor(entity)
    records = _records_in_view(reader, entity)
    if not records:
        raise Entity.DoesNotExist(entity_id)
    if with_incidents:
        for shown in records:
            if isinstance(shown.record, PersonRecord):
                found = person_record_incidents(
                    reader=reader, record=shown.record, limit=INCIDENTS_PER_RECORD
                )
            else:
                found = place_record_incidents(
                    reader=reader, record=shown.record, limit=INCIDENTS_PER_RECORD
                )
            shown.incidents, shown.incident_count, shown.incident_count_exact = found
    level = max((shown.access.level for shown in records), key=lambda level: RANK[level])
    return EntityView(
        entity=entity,
        level=level,
        records=records,
        history=entity_history(entity=entity, record_ids={r.record.pk for r in records}),
    )


def event_record_ids(event: EntityEvent) -> set[int]:
    """Every record an event names (services.py writes them under these keys)."""
    detail = event.detail or {}
    ids = set(detail.get("records", []))
    for key in ("record", "left_record", "right_record"):
        if isinstance(detail.get(key), int):
            ids.add(detail[key])
    return ids


def entity_history(*, entity: Entity, record_ids: set[int]) -> list[EntityEvent]:
    """The entity's events, newest first, that name a record in `record_ids` (those the
    reader sees on the page); the page names only those records of each event, so an event
    says nothing of the others (an event naming none of them is left out altogether)."""
    events = EntityEvent.objects.filter(entity=entity).select_related("by")
    return [event for event in events if event_record_ids(event) & record_ids]


def last_merge(entity: Entity) -> EntityEvent | None:
    """The entity's latest merge not yet undone (what entity_unmerge would undo)."""
    undone = {
        event.detail.get("merge_event")
        for event in entity.events.filter(action=EntityEvent.Action.UNMERGED)
    }
    for event in entity.events.filter(action=EntityEvent.Action.MERGED):
        if "merged_entity" in event.detail and event.pk not in undone:
            return event
    return None


@dataclass
class PairView:
    """A waiting pair as a reviewer sees it: both records in full."""

    pair: CandidatePair
    left: HeldRecord
    right: HeldRecord
    left_access: tuple[Access, Appearance | None]
    right_access: tuple[Access, Appearance | None]


def _reviewable(reader: Reader, partnership: Partnership, kind: str) -> QuerySet[CandidatePair]:
    # Both sides in full, or the pair would tell the reviewer about a record they may not see.
    personal = records_visible_to(reader=reader, kind=kind, at_least=Level.PERSONAL).values("pk")
    return CandidatePair.objects.filter(
        partnership=partnership,
        kind=kind,
        status=PairStatus.WAITING,
        left_record_id__in=personal,
        right_record_id__in=personal,
    )


def _pair_views(reader: Reader, kind: str, pairs: list[CandidatePair]) -> list[PairView]:
    model = PersonRecord if kind == EntityKind.PERSON else PlaceRecord
    ids = {p.left_record_id for p in pairs} | {p.right_record_id for p in pairs}
    records = model.objects.select_related("organisation").in_bulk(ids)
    views = []
    for pair in pairs:
        left, right = records[pair.left_record_id], records[pair.right_record_id]
        left_access, right_access = record_access(reader, left), record_access(reader, right)
        if left_access[0].level != Level.PERSONAL or right_access[0].level != Level.PERSONAL:
            continue
        views.append(PairView(pair, left, right, left_access, right_access))
    return views


def pairs_for_review(
    *, reader: Reader, partnership: Partnership, kind: str, limit: int = 20
) -> tuple[list[PairView], int]:
    """The waiting pairs the reviewer may see in full, most likely first, and how many of
    them there are (a count of pairs they may see in full only)."""
    if partnership.pk not in reader.personal_partnerships:
        return [], 0
    queryset = _reviewable(reader, partnership, kind)
    return _pair_views(reader, kind, list(queryset[:limit])), queryset.count()


def pair_for_review(
    *, reader: Reader, partnership: Partnership, kind: str, pair_id: int
) -> PairView:
    """One waiting pair the reviewer may see in full; CandidatePair.DoesNotExist otherwise
    (decided already, or not theirs to see)."""
    if partnership.pk not in reader.personal_partnerships:
        raise CandidatePair.DoesNotExist(pair_id)
    views = _pair_views(
        reader, kind, list(_reviewable(reader, partnership, kind).filter(pk=pair_id))
    )
    if not views:
        raise CandidatePair.DoesNotExist(pair_id)
    return views[0]


def thresholds_of(*, partnership: Partnership, kind: str) -> LinkageThresholds:
    """The partnership's thresholds for this kind (the defaults, unsaved, when never set)."""
    found = LinkageThresholds.objects.filter(partnership=partnership, kind=kind).first()
    return found or LinkageThresholds(partnership=partnership, kind=kind)


@dataclass
class ThresholdChoice:
    """What one pair of thresholds would do to the pairs the hub has scored."""

    auto_link: float
    review: float
    would_link: int
    would_review: int
    would_stay_apart: int
    # Estimated from decided pairs; None when there are too few decisions to say.
    precision: float | None
    recall: float | None
    current: bool = False


# Fewer decided pairs than this of either answer, and estimates would mislead.
MIN_DECISIONS = 10

CHOICES = [(0.99, 0.8), (0.95, 0.6), (0.9, 0.5), (0.8, 0.4)]


def threshold_choices(*, partnership: Partnership, kind: str) -> tuple[list[ThresholdChoice], int]:
    """For the current thresholds and a few others: how many scored pairs would link by
    themselves, wait for review or stay apart, and the precision and recall of auto-linking
    estimated from the pairs reviewers decided; and how many pairs were decided. Scored pairs
    are the candidate pairs (waiting or decided) and the links bulk linking made."""
    current = thresholds_of(partnership=partnership, kind=kind)
    pairs = list(
        CandidatePair.objects.filter(partnership=partnership, kind=kind).values_list(
            "match_probability", "status"
        )
    )
    linked = list(
        RecordLink.objects.filter(partnership=partnership, entity__kind=kind)
        .exclude(linked_by__in=[LinkedBy.FIRST, LinkedBy.REVIEWER])
        .values_list("match_probability", flat=True)
    )
    scores = [p for p, _ in pairs] + linked
    same = [p for p, status in pairs if status == PairStatus.SAME]
    different = [p for p, status in pairs if status == PairStatus.DIFFERENT]
    enough = len(same) >= MIN_DECISIONS and len(different) >= MIN_DECISIONS
    options = sorted({(current.auto_link, current.review), *CHOICES}, reverse=True)
    choices = []
    for auto_link, review in options:
        true_links = sum(1 for p in same if p >= auto_link)
        false_links = sum(1 for p in different if p >= auto_link)
        precision = recall = None
        if enough:
            chosen = true_links + false_links
            precision = true_links / chosen if chosen else None
            recall = true_links / len(same)
        choices.append(
            ThresholdChoice(
                auto_link=auto_link,
                review=review,
                would_link=sum(1 for p in scores if p >= auto_link),
                would_review=sum(1 for p in scores if review <= p < auto_link),
                would_stay_apart=sum(1 for p in scores if p < review),
                precision=precision,
                recall=recall,
                current=(auto_link, review) == (current.auto_link, current.review),
            )
        )
    return choices, len(same) + len(different)


def clusters_for_export(*, reader: Reader, partnership: Partnership, kind: str) -> QuerySet:
    """The links of the partnership's entities of this kind whose records the reader may see
    in full (source references identify people), as rows of organisation code, source
    reference, entity id and match probability; entities merged away are not listed, as
    their links moved to the survivor."""
    name = record_field(kind)
    personal = records_visible_to(reader=reader, kind=kind, at_least=Level.PERSONAL).values("pk")
    return (
        RecordLink.objects.filter(
            partnership=partnership,
            entity__kind=kind,
            **{f"{name}__in": personal},
        )
        .order_by("entity_id", f"{name}__organisation__code", f"{name}__source_ref")
        .values_list(
            f"{name}__organisation__code",
            f"{name}__source_ref",
            "entity_id",
            "match_probability",
            f"{name}_id",
        )
    )


def linkage_runs_of(*, partnership: Partnership) -> QuerySet[LinkageRun]:
    """The partnership's linking runs, the latest first. A run holds counts, never records."""
    return LinkageRun.objects.filter(partnership=partnership).select_related("started_by")


def linkage_run_of(*, partnership: Partnership, run_id: int) -> LinkageRun | None:
    return linkage_runs_of(partnership=partnership).filter(pk=run_id).first()
