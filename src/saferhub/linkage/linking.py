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
from operator import itemgetter
from types import SimpleNamespace

import pyarrow as pa
from django.db import connection, transaction
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
    ADDRESS_COLUMNS,
    COLUMNS,
    HOME_COLUMNS,
    PERSON_FIELDS,
    PLACE_FIELDS,
    address_columns,
    given_name_forms,
    partnership_rows,
    person_row,
    person_row_without_home,
    place_row,
    postcode_columns,
    rows_of,
    rows_table,
)
from saferhub.linkage.training import (
    COMPARISONS,
    linkage_model_latest,
    linkage_model_train,
    splink_linker,
)
from saferhub.partnerships.models import Membership, Partnership, User
from saferhub.people.models import PersonAddress, PersonRecord
from saferhub.places.models import PlaceRecord

logger = logging.getLogger(__name__)

# Splink's floor on m and u before taking a logarithm (splink.internals.comparison_level).
M_U_CLAMP_MIN = 1e-300
# An arriving record is compared with at most this many candidates, the most recent first: a
# very common name in a very large partnership should not make one request slow. (People are
# fetched a row per address, at most MAX_CANDIDATE_ROWS rows.)
MAX_CANDIDATES = 2000
MAX_CANDIDATE_ROWS = 3 * MAX_CANDIDATES
# A candidate is scored in full only when its weight could reach the review threshold's; this
# margin (in bits, far above any rounding) keeps one that could, to the last bit, in.
WEIGHT_MARGIN = 1e-6

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

    def evidence(self, position: int, left: dict, right: dict) -> Evidence:
        """The level the comparison at `position` finds for the pair and the weight it adds."""
        description, levels = self.comparisons[position]
        for level in levels:
            if level.test is None or level.test(left, right):
                break
        weight = level.weight
        if level.tf_column:
            weight += self._tf_adjustment(level, left, right)
        return Evidence(description, level.label, weight)

    def highest_weight(self, position: int) -> float:
        """The most the comparison at `position` can add to a pair's weight: a bound for
        leaving out pairs that cannot reach a threshold whatever it finds. Unbounded where a
        level adjusts for term frequency (the adjustment depends on both sides' values)."""
        _description, levels = self.comparisons[position]
        if any(level.tf_column for level in levels):
            return math.inf
        return max(level.weight for level in levels)

    def score(self, left: dict, right: dict) -> PairScore:
        total = self.prior_weight
        evidence = []
        for position in range(len(self.comparisons)):
            found = self.evidence(position, left, right)
            total += found.match_weight
            evidence.append(found)
        return PairScore(
            left["unique_id"], right["unique_id"], total, probability_of(total), tuple(evidence)
        )


def probability_of(match_weight: float) -> float:
    """Splink's match probability of a match weight (log2 of the odds)."""
    if match_weight >= 0:
        return 1.0 / (1.0 + 2.0 ** (-match_weight))
    return 2.0**match_weight / (1.0 + 2.0**match_weight)


def weight_of(probability: float) -> float:
    """The match weight whose probability is `probability` (log2 of the odds)."""
    if probability <= 0:
        return -math.inf
    if probability >= 1:
        return math.inf
    return math.log2(probability / (1 - probability))


class CandidateScoring:
    """One arriving row scored against its candidates, each comparison's level worked out once
    per distinct set of the values it reads on the candidate's side: the arriving row is the
    same throughout, and a common name's hundreds of candidates share a handful of given
    names, family names, dates of birth and sexes. The scores are those of `Scorer.score`
    (the same tests, the weights added in the same order), to the bit."""

    def __init__(self, scorer: Scorer, left: dict):
        self.scorer = scorer
        self.left = left
        self.positions = range(len(scorer.comparisons))
        lists = {name for name, kind in COLUMNS[scorer.kind].items() if pa.types.is_list(kind)}
        # A comparison's values on the candidate's side, as one key (itemgetter gives the
        # value itself for one column, a tuple for more); None for a comparison that reads a
        # list (where someone lives: its values are seldom shared, and a list is no key).
        self._key = [
            None if lists.intersection(c.columns) else itemgetter(*c.columns)
            for c in COMPARISONS[scorer.kind]
        ]
        self._found: list[dict] = [{} for _ in self.positions]
        self._highest = [scorer.highest_weight(position) for position in self.positions]

    def evidence(self, position: int, right: dict) -> Evidence:
        key_of = self._key[position]
        if key_of is None:
            return self.scorer.evidence(position, self.left, right)
        key = key_of(right)
        found = self._found[position].get(key)
        if found is None:
            found = self._found[position][key] = self.scorer.evidence(position, self.left, right)
        return found

    def highest_weight(self, right: dict, left_out: frozenset[int]) -> float:
        """The most the pair's weight can be: the comparisons at positions `left_out` (whose
        columns `right` may not hold yet) counted at their highest weight."""
        total = self.scorer.prior_weight
        for position in self.positions:
            if position in left_out:
                total += self._highest[position]
            else:
                total += self.evidence(position, right).match_weight
        return total

    def score(self, right: dict) -> PairScore:
        total = self.scorer.prior_weight
        evidence = []
        for position in self.positions:
            found = self.evidence(position, right)
            total += found.match_weight
            evidence.append(found)
        return PairScore(
            self.left["unique_id"],
            right["unique_id"],
            total,
            probability_of(total),
            tuple(evidence),
        )


# Scorers by model id. A model version never changes once saved, so its scorer (with its term
# frequencies, a large JSON document) is read from the database once per process.
_SCORERS: dict[tuple, Scorer] = {}


@dataclass
class _ArrivalContext:
    """What linking a record on arrival needs to know of the partnership."""

    link: tuple[int, float] | None  # the record's entity and link probability, if linked
    model: tuple[int, int, object] | None  # the latest model: id, version, time trained
    thresholds: LinkageThresholds
    organisation_ids: list[int]
    addresses: list[tuple[str, str]]  # a person record's (address, postcode), the current first

    def scorer(self) -> tuple[int, Scorer] | None:
        """The latest model's version and scorer, or None when there is no model yet. A model
        version never changes once saved, so its scorer (with its term frequencies, a large
        JSON document) is read from the database once per process."""
        if self.model is None:
            return None
        # The time too, as SQLite may give a rolled-back row's id to the next one.
        if self.model not in _SCORERS:
            _SCORERS[self.model] = Scorer(LinkageModel.objects.get(pk=self.model[0]))
        return self.model[1], _SCORERS[self.model]


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _in(values: list) -> str:
    """Placeholders for an SQL IN list of `values` (never empty)."""
    return ", ".join(["%s"] * len(values))


def _arrival_context(partnership: Partnership, kind: str, record) -> _ArrivalContext:
    """The record's link in the partnership, the latest model, the thresholds, the member
    organisations and (for a person) the record's addresses, in one query, written out: as
    six ORM queries, building them took longer than running them, and each round trip took
    milliseconds on a busy machine."""
    link = f"FROM {_table(RecordLink)} WHERE partnership_id = %s AND {RECORD_FIELD[kind]}_id = %s"
    model = (
        f"FROM {_table(LinkageModel)} WHERE partnership_id = %s AND kind = %s "
        "ORDER BY version DESC LIMIT 1"
    )
    thresholds = f"FROM {_table(LinkageThresholds)} WHERE partnership_id = %s AND kind = %s"
    person = kind == EntityKind.PERSON
    # A row per member organisation and address of the record (one with none when there are
    # none), each with the same subqueries, which PostgreSQL works out once. The addresses in
    # PersonAddress's own order, the current first. Only table names are formatted in.
    sql = (
        "SELECT m.organisation_id, "
        f"(SELECT entity_id {link}), (SELECT match_probability {link}), "
        f"(SELECT id {model}), (SELECT version {model}), (SELECT trained_at {model}), "
        f"(SELECT auto_link {thresholds}), (SELECT review {thresholds}), "
        + ("a.id, a.address, a.postcode " if person else "NULL, NULL, NULL ")
        + f"FROM {_table(Partnership)} p LEFT JOIN {_table(Membership)} m "
        "ON m.partnership_id = p.id "
        + (f"LEFT JOIN {_table(PersonAddress)} a ON a.person_id = %s " if person else "")
        + "WHERE p.id = %s"
        + (" ORDER BY a.lived_from DESC, a.id" if person else "")
    )
    link_params = [partnership.pk, record.pk]
    kind_params = [partnership.pk, kind]
    params = [*link_params * 2, *kind_params * 5, *([record.pk] if person else []), partnership.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    _, entity, probability, model_id, version, trained_at, auto_link, review = rows[0][:8]
    found = LinkageThresholds(partnership=partnership, kind=kind)
    if auto_link is not None:
        found.auto_link, found.review = auto_link, review
    addresses = {row[8]: (row[9], row[10]) for row in rows if row[8] is not None}
    return _ArrivalContext(
        link=(entity, probability) if entity is not None else None,
        # (trained_at comes as text from SQLite here: it is only part of the scorer's key.)
        model=(model_id, version, trained_at) if model_id is not None else None,
        thresholds=found,
        organisation_ids=sorted({row[0] for row in rows if row[0] is not None}),
        addresses=list(addresses.values()),
    )


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


# The columns of a person candidate: PERSON_FIELDS (the record's id as "pk") and its
# addresses, a row each (the current first, as PersonAddress orders them).
_PERSON_CANDIDATE_COLUMNS = (
    "r.id AS pk, r.organisation_id, r.given_key, r.given_name, r.family_key, r.family_name, "
    "r.other_keys, r.sex, r.date_of_birth, r.date_of_birth_precision, r.chi_number, "
    "a.address AS address, a.postcode AS postcode, a.lived_from AS lived_from, "
    "a.id AS address_id"
)


def _person_candidates(row: dict, organisation_ids: list[int], record_id: int) -> list[dict]:
    """Person records sharing a blocking key with the row, by the indexes on names, date of
    birth, CHI number and postcode, the most recent first: their PERSON_FIELDS and their
    (address, postcode)s, the current first ("addresses").

    One query, written out rather than built with the ORM: at 1,000,000 people, building
    the query (and the three more it took) cost more than running it, and on a busy machine
    each round trip costs milliseconds. The candidates' addresses come with them. (Their
    entities do not: looking up hundreds of links, on pages just written by a bulk run, took
    longer than asking for the one or two linkable candidates' afterwards.)"""
    given, family, year = row["given_name"], row["family_name"], row["dob_year"]
    month, day = row["dob_month"], row["dob_day"]
    forms = given_name_forms(row["given_canonical"]) or ([given] if given else [])
    keys: list[str] = []
    params: list = []

    def key(sql: str, *values) -> None:
        keys.append(sql)
        params.extend(values)

    if row["chi"]:
        key("r.chi_number = %s", row["chi"])
    # The blocking rules of training.PERSON_BLOCKING, each as an indexed condition. A date
    # known only to the year is stored as 1 January, so month conditions may bring a few
    # more candidates than the rules would: they are scored and come to nothing.
    if year is not None and month is not None:
        # As a range, not the year and the month extracted: a range is what the indexes on
        # date of birth serve. Extracting the month made PostgreSQL read everyone born in the
        # year (24,000 records at 1,000,000 people) and test each one's month.
        first = datetime.date(year, month, 1)
        after = datetime.date(year + month // 12, month % 12 + 1, 1)
        in_month = "r.date_of_birth >= %s AND r.date_of_birth < %s"
        if family:
            key(f"r.family_key = %s AND {in_month}", family, first, after)
        if forms:
            key(f"r.given_key IN ({_in(forms)}) AND {in_month}", *forms, first, after)
    if family and forms:
        same_name = f"r.family_key = %s AND r.given_key IN ({_in(forms)})"
        if year is None:
            key(same_name, family, *forms)
        else:
            key(
                f"{same_name} AND r.date_of_birth BETWEEN %s AND %s",
                *(family, *forms),
                datetime.date(year, 1, 1),
                datetime.date(year, 12, 31),
            )
            key(f"{same_name} AND r.date_of_birth IS NULL", family, *forms)
            if day is not None:
                month_of, month_params = connection.ops.date_extract_sql(
                    "month", "r.date_of_birth", ()
                )
                day_of, day_params = connection.ops.date_extract_sql("day", "r.date_of_birth", ())
                key(
                    f"{same_name} AND {month_of} = %s AND {day_of} = %s",
                    *(family, *forms),
                    *month_params,
                    month,
                    *day_params,
                    day,
                )
    if given and family:
        key("r.family_key = %s AND r.given_key = %s", given, family)
    at_home: list[str] = []
    home_params: list = []
    if row["postcode"]:
        # The people who live or lived at the postcode, as a query of its own joined to the
        # others by UNION: inside the OR, the planner reached them through a scan of every
        # record with the given name; in a query of its own, through the postcode's index.
        if forms:
            at_home.append(f"r.given_key IN ({_in(forms)})")
            home_params += forms
        if day is not None:
            at_home.append("r.date_of_birth = %s")
            home_params.append(datetime.date(year, month, day))
    source = (
        f"SELECT {_PERSON_CANDIDATE_COLUMNS} FROM {_table(PersonRecord)} r "  # noqa: S608
        f"LEFT JOIN {_table(PersonAddress)} a ON a.person_id = r.id "
        f"WHERE r.organisation_id IN ({_in(organisation_ids)}) AND r.id <> %s AND "
    )
    parts, part_params = [], []
    if keys and organisation_ids:
        parts.append(source + "(" + " OR ".join(f"({sql})" for sql in keys) + ")")
        part_params += [*organisation_ids, record_id, *params]
    if at_home and organisation_ids:
        lived_there = f"SELECT person_id FROM {_table(PersonAddress)} WHERE postcode = %s"  # noqa: S608
        parts.append(f"{source}r.id IN ({lived_there}) AND ({' OR '.join(at_home)})")
        part_params += [*organisation_ids, record_id, row["postcode"]]
        part_params += home_params
    if not parts:
        return []
    # The order of PersonAddress's own (the latest lived_from first), within each record.
    sql = " UNION ".join(parts) + " ORDER BY pk DESC, lived_from DESC, address_id LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*part_params, MAX_CANDIDATE_ROWS])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    people: dict[int, dict] = {}
    for values in rows:
        person = people.get(values["pk"])
        if person is None:
            person = people[values["pk"]] = {name: values[name] for name in PERSON_FIELDS}
            born = person["date_of_birth"]
            if isinstance(born, str):  # SQLite gives a date in a UNION as text
                person["date_of_birth"] = datetime.date.fromisoformat(born)
            person["addresses"] = []
        if values["address_id"] is not None:
            person["addresses"].append((values["address"], values["postcode"]))
    if len(rows) == MAX_CANDIDATE_ROWS:
        # The last record's addresses may not all be there: leave it out.
        people.pop(rows[-1]["pk"])
    return list(people.values())[:MAX_CANDIDATES]


def _scored_people(
    scoring: CandidateScoring, candidates: list[dict], review: float
) -> list[PairScore]:
    """The scores of the person candidates that could reach `review`.

    A common name brings hundreds of candidates (the Smiths born in a month, across five
    partners), and most differ in given name or date of birth by more than any address could
    make up for. So each is first scored without where it lives, that comparison counted at
    its highest weight; only those that could still reach the review threshold have their
    addresses folded and compared. A candidate left out could not have been linked or
    queued: its outcome is the same as if it had been scored in full."""
    rows = [person_row_without_home(SimpleNamespace(**values)) for values in candidates]
    addresses = {values["pk"]: values["addresses"] for values in candidates}
    home = frozenset(
        position
        for position, comparison in enumerate(COMPARISONS[EntityKind.PERSON])
        if HOME_COLUMNS.intersection(comparison.columns)
    )
    floor = weight_of(review) - WEIGHT_MARGIN
    return [
        scoring.score(_UnfoldedAddress(row, addresses[row["unique_id"]]))
        for row in rows
        if scoring.highest_weight(row, home) >= floor
    ]


class _UnfoldedAddress(dict):
    """A candidate's comparison row whose address is folded only when a comparison reads it
    (ADDRESS_COLUMNS): folding is most of the cost of a candidate, and "where they live"
    needs no address when the two postcodes differ, as they do for most candidates of a
    common name. The values read are those person_row gives."""

    def __init__(self, row: dict, addresses: list[tuple[str, str]]):
        super().__init__(row)
        self.update(postcode_columns(addresses))
        self.addresses = addresses

    def __missing__(self, column: str):
        if column not in ADDRESS_COLUMNS:
            raise KeyError(column)
        self.update(address_columns(self.addresses))
        return self[column]


def _place_candidates(row: dict, organisation_ids: list[int], record_id: int) -> list[dict]:
    """Place records sharing the UPRN or postcode: their PLACE_FIELDS."""
    keys = Q(pk__in=[])
    if row["uprn"]:
        keys |= Q(uprn=row["uprn"])
    if row["postcode"]:
        keys |= Q(postcode=row["postcode"])
    return list(
        PlaceRecord.objects.filter(keys, organisation_id__in=organisation_ids)
        .exclude(pk=record_id)
        .order_by("-pk")
        .values(*PLACE_FIELDS)[:MAX_CANDIDATES]
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
    context = _arrival_context(partnership, kind, record)
    if context.link is not None:
        return ArrivalOutcome("linked", *context.link)
    latest = context.scorer()
    with transaction.atomic():
        if latest is None:
            entity = _new_entity(partnership, kind, record, user, {"run": "arrival", "model": None})
            return ArrivalOutcome("new", entity.pk)
        if kind == EntityKind.PERSON:
            row = person_row(record, context.addresses)
        else:
            row = place_row(record)
        version, scorer = latest
        thresholds = context.thresholds
        scoring = CandidateScoring(scorer, row)
        if kind == EntityKind.PERSON:
            candidates = _person_candidates(row, context.organisation_ids, record.pk)
            scores = _scored_people(scoring, candidates, thresholds.review)
        else:
            candidates = _place_candidates(row, context.organisation_ids, record.pk)
            scores = [
                scoring.score(candidate_row)
                for candidate_row in rows_of(kind, [SimpleNamespace(**c) for c in candidates])
            ]
        scores.sort(key=lambda s: (-s.match_probability, s.right_id))
        count = len(candidates)
        # Most arrivals match nothing above the thresholds, or one or two candidates: only
        # theirs are looked up.
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
            return ArrivalOutcome("linked", entity_id, score.match_probability, 0, count, scores)
        waiting = []
        # Pairs at or above auto-link whose record is not linked yet are left to the bulk
        # run; those between the thresholds wait for a person, unless one decided them.
        uncertain = [
            s for s in scores if thresholds.review <= s.match_probability < thresholds.auto_link
        ]
        pairs = [tuple(sorted((record.pk, score.right_id))) for score in uncertain]
        # Each pair by the unique index on it: a record's pairs as the right one were found
        # by reading every pair of the partnership (27,000 at 1,000,000 people, 6 ms).
        asked = Q(pk__in=[])
        for left, right in pairs:
            asked |= Q(left_record_id=left, right_record_id=right)
        decided = (
            set(
                CandidatePair.objects.filter(asked, partnership=partnership, kind=kind).values_list(
                    "left_record_id", "right_record_id"
                )
            )
            if pairs
            else set()
        )
        for score, (left, right) in zip(uncertain, pairs, strict=True):
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
        return ArrivalOutcome(outcome, entity.pk, 1.0, len(waiting), count, scores)


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
