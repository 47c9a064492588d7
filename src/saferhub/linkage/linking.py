"""Linking records into entities: all of a partnership's records at once (a bulk run, in a
worker or command, never in a web request), and one record as it arrives.

A bulk run predicts the pairs with Splink on DuckDB and clusters them at the partnership's
auto-link threshold; an arriving record is compared with the few records that share a
blocking key with it, fetched from the database by index and scored here in Python from the
latest model's parameters (building a Splink linker for one record would take a second; this
takes milliseconds). `scores_of_pairs` is that Python scorer; a test holds it equal to Splink's
own scores.

Entity ids are stable. A bulk run never splits an entity: it joins the records the model
links, keeps for each group the entity that already holds most of it (ties: the lowest id),
and merges another entity into it only when a link of the run joins them. Run again on the
same records, it changes nothing.
"""

import datetime
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pyarrow as pa
from django.db import transaction
from django.db.models import Q

from saferhub.hub.bulk import rows_insert
from saferhub.hub.planner import planner_statistics_refresh
from saferhub.linkage.models import (
    CandidatePair,
    Entity,
    EntityEvent,
    EntityKind,
    LinkageModel,
    LinkageThresholds,
    LinkedBy,
    PairStatus,
    RecordLink,
)
from saferhub.linkage.preparation import (
    PERSON_FIELDS,
    PLACE_FIELDS,
    given_name_forms,
    member_organisation_ids,
    partnership_rows,
    rows_of,
    rows_table,
)
from saferhub.linkage.training import (
    COMPARISONS,
    linkage_model_latest,
    linkage_model_train,
    splink_linker,
)
from saferhub.partnerships.models import Partnership, User
from saferhub.people.models import PersonAddress, PersonRecord
from saferhub.places.models import PlaceRecord

logger = logging.getLogger(__name__)

# Splink's floor on m and u before taking a logarithm (splink.internals.comparison_level).
M_U_CLAMP_MIN = 1e-300
# An arriving record is compared with at most this many candidates, the most recent first: a
# very common name in a very large partnership should not make one request slow.
MAX_CANDIDATES = 2000

RECORD_FIELD = {EntityKind.PERSON: "person_record", EntityKind.PLACE: "place_record"}


def thresholds_of(partnership: Partnership, kind: str) -> LinkageThresholds:
    """The partnership's thresholds for `kind` (the defaults until someone sets them)."""
    found = LinkageThresholds.objects.filter(partnership=partnership, kind=kind).first()
    return found or LinkageThresholds(partnership=partnership, kind=kind)


# -- The Python scorer -------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What one comparison found for a pair: the level and the weight it contributed."""

    comparison: str
    level: str
    match_weight: float

    def as_json(self) -> dict:
        return {
            "comparison": self.comparison,
            "level": self.level,
            "match_weight": round(self.match_weight, 4),
        }


@dataclass(frozen=True)
class PairScore:
    left_id: int
    right_id: int
    match_weight: float
    match_probability: float
    evidence: tuple[Evidence, ...]


@dataclass
class _ScoredLevel:
    label: str
    test: Callable | None
    null: bool
    weight: float
    tf_column: str | None
    log2_u: float


class Scorer:
    """A model's parameters read once, for scoring many pairs (Fellegi-Sunter: the prior's
    weight plus each comparison's level weight, with Splink's term-frequency adjustment)."""

    def __init__(self, model: LinkageModel):
        self.kind = model.kind
        settings = model.settings
        prior = settings["probability_two_random_records_match"]
        self.prior_weight = math.log2(prior / (1 - prior))
        self.frequencies: dict[str, dict[str, float]] = model.trained_on.get("term_frequencies", {})
        by_name = {c["output_column_name"]: c for c in settings["comparisons"]}
        self.comparisons: list[tuple[str, list[_ScoredLevel]]] = []
        for comparison in COMPARISONS[model.kind]:
            stored = by_name[comparison.name]["comparison_levels"]
            levels = []
            for level, saved in zip(comparison.levels, stored, strict=True):
                if saved.get("label_for_charts") != level.label:
                    raise ValueError(
                        f"Model v{model.version} does not match the comparison {comparison.name} "
                        "the hub compares today: train a new model."
                    )
                if level.null:
                    levels.append(_ScoredLevel(level.label, level.test, True, 0.0, None, 0.0))
                    continue
                m = max(saved["m_probability"], M_U_CLAMP_MIN)
                u = max(saved["u_probability"], M_U_CLAMP_MIN)
                levels.append(
                    _ScoredLevel(
                        level.label,
                        level.test,
                        False,
                        math.log2(m / u),
                        level.tf_column,
                        math.log2(saved["u_probability"]) if level.tf_column else 0.0,
                    )
                )
            self.comparisons.append((comparison.description, levels))

    def _tf_adjustment(self, level: _ScoredLevel, left: dict, right: dict) -> float:
        shares = self.frequencies.get(level.tf_column, {})
        tf_left = shares.get(left[level.tf_column])
        tf_right = shares.get(right[level.tf_column])
        if tf_left is None and tf_right is None:
            return 0.0
        first = tf_left if tf_left is not None else tf_right
        second = tf_right if tf_right is not None else tf_left
        return level.log2_u - math.log2(max(first, second, 0.0))

    def score(self, left: dict, right: dict) -> PairScore:
        total = self.prior_weight
        evidence = []
        for description, levels in self.comparisons:
            for level in levels:
                if level.test is None or level.test(left, right):
                    break
            weight = level.weight
            if level.tf_column:
                weight += self._tf_adjustment(level, left, right)
            total += weight
            evidence.append(Evidence(description, level.label, weight))
        if total >= 0:
            probability = 1.0 / (1.0 + 2.0 ** (-total))
        else:
            probability = 2.0**total / (1.0 + 2.0**total)
        return PairScore(left["unique_id"], right["unique_id"], total, probability, tuple(evidence))


# Scorers by model id. A model version never changes once saved, so its scorer (with its term
# frequencies, a large JSON document) is read from the database once per process.
_SCORERS: dict[tuple, Scorer] = {}


def _latest_scorer(partnership: Partnership, kind: str) -> tuple[int, Scorer] | None:
    """The latest model's version and scorer, or None when there is no model yet."""
    latest = (
        LinkageModel.objects.filter(partnership=partnership, kind=kind)
        .order_by("-version")
        .values_list("pk", "version", "trained_at")
        .first()
    )
    if latest is None:
        return None
    # The time too, as SQLite may give a rolled-back row's id to the next one.
    if latest not in _SCORERS:
        _SCORERS[latest] = Scorer(LinkageModel.objects.get(pk=latest[0]))
    return latest[1], _SCORERS[latest]


def scores_of_pairs(
    model: LinkageModel, left_rows: list[dict], right_rows: list[dict]
) -> list[PairScore]:
    """Score each left row against the right row in the same place (prepared rows, as
    saferhub.linkage.preparation makes them), as Splink would with the model."""
    scorer = Scorer(model)
    return [scorer.score(left, right) for left, right in zip(left_rows, right_rows, strict=True)]


# -- Bulk linking -----------------------------------------------------------------------------


@dataclass
class BulkLinkResult:
    records: int = 0
    entities: int = 0
    new_entities: int = 0
    links_made: int = 0
    moved: int = 0
    merged: int = 0
    pairs_queued: int = 0
    seconds: float = 0.0
    model_version: int = 0
    trained: bool = False


class _Components:
    """Union-find over record ids, the smallest id as each component's root."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            parent = self.parent[item] = self.find(parent)
        return parent

    def join(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _decided(partnership: Partnership, kind: str) -> dict[tuple[int, int], str]:
    return {
        (left, right): status
        for left, right, status in CandidatePair.objects.filter(
            partnership=partnership, kind=kind
        ).values_list("left_record_id", "right_record_id", "status")
    }


def _current_links(partnership: Partnership, kind: str) -> dict[int, tuple[int, int]]:
    """record id -> (entity id, link id) for the partnership's links of `kind`."""
    column = f"{RECORD_FIELD[kind]}_id"
    return {
        record_id: (entity_id, link_id)
        for record_id, entity_id, link_id in RecordLink.objects.filter(
            partnership=partnership, **{f"{column}__isnull": False}
        ).values_list(column, "entity_id", "pk")
    }


@dataclass
class _Pairs:
    """Splink's pairs at or above the review threshold, column by column: a bulk run over a
    million records holds a couple of million pairs, which as Python dicts took gigabytes."""

    left: list[int]
    right: list[int]
    probability: list[float]
    table: pa.Table  # every column Splink gave, the evidence (mw_ columns) included

    def rows(self, positions: list[int]) -> list[dict]:
        """The pairs at `positions` with all their columns, as dicts."""
        return self.table.take(pa.array(positions, type=pa.int64())).to_pylist()


def _predict(model: LinkageModel, rows: list[dict], review: float) -> _Pairs:
    """Splink's pairs at or above `review`."""
    table = rows_table(model.kind, rows)
    linker, _database = splink_linker(
        table, model.settings, model.trained_on.get("term_frequencies")
    )
    predictions = linker.inference.predict(threshold_match_probability=review, warning_mode="never")
    pairs = predictions.as_duckdbpyrelation().to_arrow_table()
    return _Pairs(
        left=pairs.column("unique_id_l").to_pylist(),
        right=pairs.column("unique_id_r").to_pylist(),
        probability=pairs.column("match_probability").to_pylist(),
        table=pairs,
    )


def _evidence_of(scorer: Scorer, left: dict, right: dict, pair: dict) -> list[dict]:
    """Splink's own account of a pair: each comparison's weight from its mw_ column (with the
    term-frequency adjustment), named by its level. Splink 5 does not return the level itself,
    so the level is the one the same conditions pick in Python (held equal to Splink's by
    tests/linkage/test_arrival.py)."""
    levels = scorer.score(left, right).evidence
    evidence = []
    for comparison, found in zip(COMPARISONS[scorer.kind], levels, strict=True):
        weight = float(pair.get(f"mw_{comparison.name}") or 0.0)
        weight += float(pair.get(f"mw_tf_adj_{comparison.name}") or 0.0)
        evidence.append(Evidence(comparison.description, found.level, weight).as_json())
    return evidence


def link_bulk(
    *,
    partnership: Partnership,
    kind: str,
    user: User | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    retrain: bool = False,
) -> BulkLinkResult:
    """Link every record of the partnership's member organisations of `kind` ("person" or
    "place"): train a model first if there is none (or `retrain`), predict the pairs, join
    those at or above the auto-link threshold into entities (keeping existing entities' ids),
    and queue the pairs between the review and auto-link thresholds for a person to decide.
    `on_progress(step, done, total)` hears of each step. All writes are one transaction."""
    started = time.monotonic()
    steps = 5
    result = BulkLinkResult()

    def progress(step: str, done: int) -> None:
        if on_progress:
            on_progress(step, done, steps)

    progress("Reading records", 0)
    rows = partnership_rows(partnership=partnership, kind=kind)
    result.records = len(rows)
    model = None if retrain else linkage_model_latest(partnership=partnership, kind=kind)
    if model is None and len(rows) >= 2:
        progress("Training the model", 1)
        model = linkage_model_train(partnership=partnership, kind=kind, user=user)
        result.trained = True
    thresholds = thresholds_of(partnership, kind)
    pairs = _Pairs([], [], [], pa.table({}))
    if model is not None:
        result.model_version = model.version
        progress("Comparing pairs", 2)
        pairs = _predict(model, rows, thresholds.review)
    progress("Grouping records", 3)
    decided = _decided(partnership, kind)
    links = _current_links(partnership, kind)
    record_ids = [row["unique_id"] for row in rows]
    components = _Components()
    for record_id in record_ids:
        components.find(record_id)
    # An existing entity is never split by a bulk run: its records start joined.
    first_of_entity: dict[int, int] = {}
    for record_id, (entity_id, _link_id) in links.items():
        if record_id in components.parent:
            if entity_id in first_of_entity:
                components.join(first_of_entity[entity_id], record_id)
            else:
                first_of_entity[entity_id] = record_id
    best: dict[int, float] = defaultdict(float)
    # Records joined by pairs at or above auto-link (Splink's connected components, found
    # here so that pairs a person decided are not the same stay apart).
    for left, right, probability in zip(pairs.left, pairs.right, pairs.probability, strict=True):
        left, right = (left, right) if left < right else (right, left)
        if (
            probability >= thresholds.auto_link
            and decided.get((left, right)) != PairStatus.DIFFERENT
        ):
            components.join(left, right)
            best[left] = max(best[left], probability)
            best[right] = max(best[right], probability)
    for (left, right), status in decided.items():
        if status == PairStatus.SAME and left in components.parent and right in components.parent:
            components.join(left, right)
            best[left] = best[right] = max(best[left], best[right], 1.0)
    progress("Writing entities", 4)
    with transaction.atomic():
        entity_of = _write_entities(
            partnership=partnership,
            kind=kind,
            user=user,
            record_ids=record_ids,
            components=components,
            links=links,
            best=best,
            result=result,
        )
        queued = []
        scorer = Scorer(model) if model is not None else None
        by_id = {row["unique_id"]: row for row in rows}
        uncertain = [
            position
            for position, probability in enumerate(pairs.probability)
            if thresholds.review <= probability < thresholds.auto_link
        ]
        for pair in pairs.rows(uncertain):
            left, right = sorted((pair["unique_id_l"], pair["unique_id_r"]))
            probability = pair["match_probability"]
            if (left, right) in decided or entity_of.get(left) == entity_of.get(right):
                continue
            queued.append(
                CandidatePair(
                    partnership=partnership,
                    kind=kind,
                    left_record_id=left,
                    right_record_id=right,
                    match_probability=probability,
                    match_weight=pair["match_weight"],
                    evidence=_evidence_of(scorer, by_id[left], by_id[right], pair),
                )
            )
            decided[(left, right)] = PairStatus.WAITING
        CandidatePair.objects.bulk_create(queued, batch_size=1000)
        result.pairs_queued = len(queued)
        result.entities = (
            Entity.objects.filter(partnership=partnership, kind=kind, merged_into__isnull=True)
            .filter(links__isnull=False)
            .distinct()
            .count()
        )
    # After the transaction: ANALYZE inside it would see the new rows but hold its locks.
    planner_statistics_refresh(
        [Entity, RecordLink, EntityEvent, CandidatePair],
        result.new_entities + result.links_made + result.moved + result.pairs_queued,
    )
    result.seconds = time.monotonic() - started
    progress("Done", 5)
    return result


def _write_entities(
    *,
    partnership: Partnership,
    kind: str,
    user: User | None,
    record_ids: list[int],
    components: _Components,
    links: dict[int, tuple[int, int]],
    best: dict[int, float],
    result: BulkLinkResult,
) -> dict[int, int]:
    """Make each component one entity, keeping ids; returns record id -> entity id."""
    field = RECORD_FIELD[kind]
    members: dict[int, list[int]] = defaultdict(list)
    for record_id in record_ids:
        members[components.find(record_id)].append(record_id)
    entity_of: dict[int, int] = {}
    # Rows for rows_insert (plain values: a first run writes a row per record and entity).
    new_links: list[dict] = []
    events: list[dict] = []
    by_id = user.pk if user else None
    moves: dict[int, list[tuple[int, float]]] = defaultdict(list)  # keeper -> records moved in
    merges: list[tuple[int, int]] = []  # (merged, into)
    new_groups: list[list[int]] = []
    for records in members.values():
        held: dict[int, int] = defaultdict(int)
        for record_id in records:
            if record_id in links:
                held[links[record_id][0]] += 1
        if not held:
            new_groups.append(sorted(records))
            continue
        keeper = min(held, key=lambda entity_id: (-held[entity_id], entity_id))
        for other in sorted(set(held) - {keeper}):
            merges.append((other, keeper))
        for record_id in records:
            entity_of[record_id] = keeper
            if record_id not in links:
                new_links.append(
                    {
                        "entity_id": keeper,
                        "partnership_id": partnership.pk,
                        "match_probability": best.get(record_id, 1.0),
                        "linked_by": LinkedBy.BULK,
                        f"{field}_id": record_id,
                    }
                )
                events.append(
                    {
                        "entity_id": keeper,
                        "action": EntityEvent.Action.LINKED,
                        "by_id": by_id,
                        "detail": {
                            "record_id": record_id,
                            "run": "bulk",
                            "match_probability": best.get(record_id, 1.0),
                        },
                    }
                )
            elif links[record_id][0] != keeper:
                moves[keeper].append((record_id, best.get(record_id, 1.0)))
    # New entities, one per group of records no entity holds yet.
    created = rows_insert(
        Entity,
        [{"partnership_id": partnership.pk, "kind": kind} for _ in new_groups],
        with_ids=True,
    )
    for entity_id, records in zip(created, new_groups, strict=True):
        for position, record_id in enumerate(records):
            entity_of[record_id] = entity_id
            first = position == 0
            new_links.append(
                {
                    "entity_id": entity_id,
                    "partnership_id": partnership.pk,
                    "match_probability": 1.0 if first else best.get(record_id, 1.0),
                    "linked_by": LinkedBy.FIRST if first else LinkedBy.BULK,
                    f"{field}_id": record_id,
                }
            )
        events.append(
            {
                "entity_id": entity_id,
                "action": EntityEvent.Action.CREATED,
                "by_id": by_id,
                "detail": {"record_ids": records, "run": "bulk"},
            }
        )
    rows_insert(RecordLink, new_links)
    result.new_entities = len(created)
    result.links_made = len(new_links)
    # Records of entities a link of this run joined to a bigger one: moved, and the emptied
    # entity points at the one it was merged into.
    for keeper, moved in moves.items():
        for record_id, probability in moved:
            RecordLink.objects.filter(pk=links[record_id][1]).update(
                entity_id=keeper, match_probability=probability, linked_by=LinkedBy.BULK
            )
        result.moved += len(moved)
    for merged, into in merges:
        Entity.objects.filter(pk=merged).update(merged_into_id=into)
        detail = {"merged": merged, "into": into, "run": "bulk"}
        for entity_id in (into, merged):
            events.append(
                {
                    "entity_id": entity_id,
                    "action": EntityEvent.Action.MERGED,
                    "by_id": by_id,
                    "detail": detail,
                }
            )
    result.merged = len(merges)
    rows_insert(EntityEvent, events)
    return entity_of


# -- Linking on arrival ----------------------------------------------------------------------


@dataclass
class ArrivalOutcome:
    """What became of an arriving record: "linked" to `entity` (with `match_probability`),
    "review" (pairs queued, the record its own entity meanwhile) or "new" (its own entity)."""

    outcome: str
    entity_id: int
    match_probability: float = 1.0
    pairs_queued: int = 0
    candidates: int = 0
    scores: list[PairScore] = field(default_factory=list, repr=False)


def _person_candidates(row: dict, organisation_ids: list[int], record_id: int):
    """Person records sharing a blocking key with the row, by the indexes on names, date of
    birth, CHI number and postcode."""
    given, family, year = row["given_name"], row["family_name"], row["dob_year"]
    month, day = row["dob_month"], row["dob_day"]
    forms = given_name_forms(row["given_canonical"]) or ([given] if given else [])
    keys = Q(pk__in=[])
    if row["chi"]:
        keys |= Q(chi_number=row["chi"])
    # The blocking rules of training.PERSON_BLOCKING, each as an indexed condition. A date
    # known only to the year is stored as 1 January, so month conditions may bring a few
    # more candidates than the rules would: they are scored and come to nothing.
    if year is not None and month is not None:
        in_month = Q(date_of_birth__year=year, date_of_birth__month=month)
        if family:
            keys |= Q(family_key=family) & in_month
        if forms:
            keys |= Q(given_key__in=forms) & in_month
    if family and forms:
        same_name = Q(family_key=family, given_key__in=forms)
        if year is None:
            keys |= same_name
        else:
            keys |= same_name & Q(date_of_birth__year=year)
            keys |= same_name & Q(date_of_birth__isnull=True)
            if day is not None:
                keys |= same_name & Q(date_of_birth__month=month, date_of_birth__day=day)
    if given and family:
        keys |= Q(family_key=given, given_key=family)
    if row["postcode"]:
        # The few people at the postcode, fetched first: as a subquery inside the OR, the
        # planner reached them through a scan of every record with the given name.
        at_postcode = list(
            PersonAddress.objects.filter(postcode=row["postcode"]).values_list(
                "person_id", flat=True
            )
        )
        if forms:
            keys |= Q(pk__in=at_postcode, given_key__in=forms)
        if day is not None:
            born_on = datetime.date(year, month, day)
            keys |= Q(pk__in=at_postcode, date_of_birth=born_on)
    return (
        PersonRecord.objects.filter(keys, organisation_id__in=organisation_ids)
        .exclude(pk=record_id)
        .order_by("-pk")[:MAX_CANDIDATES]
    )


def _place_candidates(row: dict, organisation_ids: list[int], record_id: int):
    keys = Q(pk__in=[])
    if row["uprn"]:
        keys |= Q(uprn=row["uprn"])
    if row["postcode"]:
        keys |= Q(postcode=row["postcode"])
    return (
        PlaceRecord.objects.filter(keys, organisation_id__in=organisation_ids)
        .exclude(pk=record_id)
        .order_by("-pk")[:MAX_CANDIDATES]
    )


def _new_entity(partnership, kind, record, user, detail) -> Entity:
    entity = Entity.objects.create(partnership=partnership, kind=kind)
    RecordLink.objects.create(
        entity=entity,
        partnership=partnership,
        match_probability=1.0,
        linked_by=LinkedBy.FIRST,
        **{RECORD_FIELD[kind]: record},
    )
    EntityEvent.objects.create(
        entity=entity,
        action=EntityEvent.Action.CREATED,
        by=user,
        detail={"record_ids": [record.pk], **detail},
    )
    return entity


def record_link_on_arrival(
    *, partnership: Partnership, kind: str, record, user: User | None = None
) -> ArrivalOutcome:
    """Match one new record against the partnership's entities at once: link it to the best
    entity at or above the auto-link threshold, queue its pairs at or above the review
    threshold (the record its own entity meanwhile), or make it a new entity. With no model
    yet, it is a new entity; a record already linked in the partnership is left as it is."""
    field_name = RECORD_FIELD[kind]
    existing = RecordLink.objects.filter(partnership=partnership, **{field_name: record}).first()
    if existing is not None:
        return ArrivalOutcome("linked", existing.entity_id, existing.match_probability)
    latest = _latest_scorer(partnership, kind)
    with transaction.atomic():
        if latest is None:
            entity = _new_entity(partnership, kind, record, user, {"run": "arrival", "model": None})
            return ArrivalOutcome("new", entity.pk)
        organisation_ids = member_organisation_ids(partnership)
        (row,) = rows_of(kind, [record])
        if kind == EntityKind.PERSON:
            candidates = _person_candidates(row, organisation_ids, record.pk)
            fields = PERSON_FIELDS
        else:
            candidates = _place_candidates(row, organisation_ids, record.pk)
            fields = PLACE_FIELDS
        # Plain values, not model objects: a common name brings hundreds of candidates.
        candidate_rows = rows_of(
            kind, [SimpleNamespace(**values) for values in candidates.values(*fields)]
        )
        version, scorer = latest
        scores = sorted(
            (scorer.score(row, other) for other in candidate_rows),
            key=lambda s: (-s.match_probability, s.right_id),
        )
        thresholds = thresholds_of(partnership, kind)
        # Most arrivals match nothing above the thresholds: each query below is made only
        # when there is something for it to decide (a new record is ~15 ms, half of it here).
        linkable = [s.right_id for s in scores if s.match_probability >= thresholds.auto_link]
        entity_of = (
            dict(
                RecordLink.objects.filter(
                    partnership=partnership, **{f"{field_name}_id__in": linkable}
                ).values_list(f"{field_name}_id", "entity_id")
            )
            if linkable
            else {}
        )
        for score in scores:
            if score.match_probability < thresholds.auto_link:
                break
            entity_id = entity_of.get(score.right_id)
            if entity_id is None:
                continue
            RecordLink.objects.create(
                entity_id=entity_id,
                partnership=partnership,
                match_probability=score.match_probability,
                linked_by=LinkedBy.ARRIVAL,
                **{field_name: record},
            )
            EntityEvent.objects.create(
                entity_id=entity_id,
                action=EntityEvent.Action.LINKED,
                by=user,
                detail={
                    "record_id": record.pk,
                    "run": "arrival",
                    "model": version,
                    "match_probability": score.match_probability,
                    "matched_record_id": score.right_id,
                },
            )
            return ArrivalOutcome(
                "linked", entity_id, score.match_probability, 0, len(scores), scores
            )
        waiting = []
        # Pairs at or above auto-link whose record is not linked yet are left to the bulk
        # run; those between the thresholds wait for a person, unless one decided them.
        uncertain = [
            s for s in scores if thresholds.review <= s.match_probability < thresholds.auto_link
        ]
        decided = (
            set(
                CandidatePair.objects.filter(
                    Q(left_record_id=record.pk) | Q(right_record_id=record.pk),
                    partnership=partnership,
                    kind=kind,
                ).values_list("left_record_id", "right_record_id")
            )
            if uncertain
            else set()
        )
        for score in uncertain:
            left, right = sorted((record.pk, score.right_id))
            if (left, right) in decided:
                continue
            waiting.append(
                CandidatePair(
                    partnership=partnership,
                    kind=kind,
                    left_record_id=left,
                    right_record_id=right,
                    match_probability=score.match_probability,
                    match_weight=score.match_weight,
                    evidence=[e.as_json() for e in score.evidence],
                )
            )
        CandidatePair.objects.bulk_create(waiting)
        entity = _new_entity(partnership, kind, record, user, {"run": "arrival", "model": version})
        outcome = "review" if waiting else "new"
        return ArrivalOutcome(outcome, entity.pk, 1.0, len(waiting), len(scores), scores)


def records_link_on_arrival(
    *, kind: str, records: Iterable, user: User | None = None
) -> list[ArrivalOutcome]:
    """Link each record in every partnership its organisation is a member of. A failure is
    logged, never raised: the record is kept, and the next bulk run links it."""
    outcomes = []
    partnerships: dict[int, list[Partnership]] = {}
    for record in records:
        organisation_id = record.organisation_id
        if organisation_id not in partnerships:
            partnerships[organisation_id] = list(
                Partnership.objects.filter(memberships__organisation_id=organisation_id)
            )
        for partnership in partnerships[organisation_id]:
            try:
                with transaction.atomic():
                    outcomes.append(
                        record_link_on_arrival(
                            partnership=partnership, kind=kind, record=record, user=user
                        )
                    )
            except Exception:
                logger.exception(
                    "Linking %s record %s in partnership %s failed; the next bulk run links it",
                    kind,
                    record.pk,
                    partnership.code,
                )
    return outcomes
