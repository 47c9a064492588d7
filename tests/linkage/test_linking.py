"""Bulk linking: the known duplicates found, entity ids kept from run to run, a re-run that
changes nothing, reviewers' decisions respected, and the `saferhub link` command."""

import datetime
import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from saferhub.linkage.linking import link_bulk, scores_of_pairs
from saferhub.linkage.models import (
    CandidatePair,
    Entity,
    EntityEvent,
    EntityKind,
    LinkageModel,
    LinkageRun,
    LinkageThresholds,
    LinkedBy,
    PairStatus,
    RecordLink,
)
from saferhub.linkage.preparation import rows_of
from saferhub.linkage.tasks import link_in_background
from saferhub.partnerships.models import Organisation
from saferhub.people.models import PersonRecord
from tests.linkage.conftest import person_record


def _entity_of(kind: str = EntityKind.PERSON) -> dict[int, int]:
    field = "person_record_id" if kind == EntityKind.PERSON else "place_record_id"
    return dict(
        RecordLink.objects.filter(**{f"{field}__isnull": False}).values_list(field, "entity_id")
    )


def _linked_pairs(entity_of: dict[int, int]) -> set[tuple[int, int]]:
    by_entity: dict[int, list[int]] = {}
    for record, entity in entity_of.items():
        by_entity.setdefault(entity, []).append(record)
    return {(a, b) for records in by_entity.values() for a in records for b in records if a < b}


def test_bulk_linking_finds_the_known_duplicates(people, fife):
    result = link_bulk(partnership=fife, kind=EntityKind.PERSON)
    assert result.trained and result.model_version == 1
    assert result.records == len(people.person_of)
    found = _linked_pairs(_entity_of())
    truth = people.true_pairs(people.person_of)
    true_found = len(found & truth)
    assert true_found / len(found) >= 0.95  # precision
    assert true_found / len(truth) >= 0.8  # recall
    assert result.entities == Entity.objects.filter(merged_into__isnull=True).count()
    assert EntityEvent.objects.filter(action=EntityEvent.Action.CREATED).count() == (
        result.new_entities
    )


def test_the_model_is_kept_as_a_version_with_what_it_learned_from(people, fife):
    link_bulk(partnership=fife, kind=EntityKind.PERSON)
    link_bulk(partnership=fife, kind=EntityKind.PERSON, retrain=True)
    first, second = LinkageModel.objects.filter(partnership=fife).order_by("version")
    assert (first.version, second.version) == (1, 2)
    assert second.trained_on["records"] == len(people.person_of)
    assert second.trained_on["decided_pairs_used"] == 0
    assert second.settings["comparisons"][0]["comparison_levels"][1]["m_probability"] > 0


def test_pairs_a_reviewer_decided_the_same_refine_the_next_model(people, fife):
    link_bulk(partnership=fife, kind=EntityKind.PERSON)
    before = LinkageModel.objects.get(partnership=fife, version=1)
    true_pairs = sorted(people.true_pairs(people.person_of))[:40]
    for left, right in true_pairs:
        CandidatePair.objects.create(
            partnership=fife,
            kind=EntityKind.PERSON,
            left_record_id=left,
            right_record_id=right,
            match_probability=0.5,
            match_weight=0.0,
            status=PairStatus.SAME,
        )
    link_bulk(partnership=fife, kind=EntityKind.PERSON, retrain=True)
    after = LinkageModel.objects.get(partnership=fife, version=2)
    assert after.trained_on["decided_pairs_used"] == len(true_pairs)

    # Where the decided pairs sit, by the first model's own account of each pair.
    records = {
        r.pk: r for r in PersonRecord.objects.filter(pk__in={i for p in true_pairs for i in p})
    }
    rows = {row["unique_id"]: row for row in rows_of(EntityKind.PERSON, records.values())}
    scores = scores_of_pairs(
        before, [rows[a] for a, _ in true_pairs], [rows[b] for _, b in true_pairs]
    )
    moved = 0
    for position, (was_levels, now_levels) in enumerate(
        zip(before.settings["comparisons"], after.settings["comparisons"], strict=True)
    ):
        reached = [score.evidence[position].level for score in scores]
        judged = [label for label in reached if not label.endswith("missing")]
        for level, refined in zip(
            was_levels["comparison_levels"], now_levels["comparison_levels"], strict=True
        ):
            if level.get("is_null_level"):
                continue
            was, now = level["m_probability"], refined["m_probability"]
            if level.get("fix_m_probability") or not judged:
                assert now == was
                continue
            share = judged.count(level["label_for_charts"]) / len(judged)
            # m moves from what expectation maximisation found towards the reviewers' share.
            assert min(was, share) - 1e-12 <= now <= max(was, share) + 1e-12 or now == 1e-3
            if abs(share - was) > 0.05:
                assert abs(now - share) < abs(was - share)
                moved += 1
    assert moved >= 3


def test_a_second_run_on_the_same_records_changes_nothing(people, fife):
    LinkageThresholds.objects.create(
        partnership=fife, kind=EntityKind.PERSON, auto_link=0.95, review=0.05
    )
    link_bulk(partnership=fife, kind=EntityKind.PERSON)
    before = _entity_of()
    events = EntityEvent.objects.count()
    pairs = CandidatePair.objects.count()
    again = link_bulk(partnership=fife, kind=EntityKind.PERSON)
    assert (again.new_entities, again.links_made, again.moved, again.merged) == (0, 0, 0, 0)
    assert again.pairs_queued == 0
    assert _entity_of() == before
    assert EntityEvent.objects.count() == events
    assert CandidatePair.objects.count() == pairs


def test_a_new_record_joins_its_entity_and_no_id_changes(people, fife):
    link_bulk(partnership=fife, kind=EntityKind.PERSON)
    before = _entity_of()
    known = PersonRecord.objects.filter(organisation__code="nhs-fife").first()
    council = Organisation.objects.get(code="fife-council-asb")
    address = known.addresses.first()
    arriving = person_record(
        council,
        "LATE-1",
        given=known.given_name,
        family=known.family_name,
        born=known.date_of_birth,
        sex=known.sex,
        address=address.address,
        postcode=address.postcode,
    )
    result = link_bulk(partnership=fife, kind=EntityKind.PERSON)
    assert (result.links_made, result.new_entities, result.moved) == (1, 0, 0)
    after = _entity_of()
    assert after[arriving.pk] == before[known.pk]
    assert {record: after[record] for record in before} == before
    link = RecordLink.objects.get(person_record=arriving)
    assert link.linked_by == LinkedBy.BULK
    assert link.match_probability >= 0.95


def test_entities_the_model_joins_are_merged_into_the_one_holding_most(people, fife):
    link_bulk(partnership=fife, kind=EntityKind.PERSON)
    # An entity of three records, one of them (as if recorded before the others) on its own.
    entity_of = _entity_of()
    sizes: dict[int, list[int]] = {}
    for record, entity in entity_of.items():
        sizes.setdefault(entity, []).append(record)
    keeper, records = next((e, r) for e, r in sorted(sizes.items()) if len(r) == 3)
    alone = Entity.objects.create(partnership=fife, kind=EntityKind.PERSON)
    RecordLink.objects.filter(person_record_id=max(records)).update(entity=alone)
    result = link_bulk(partnership=fife, kind=EntityKind.PERSON)
    assert (result.moved, result.merged, result.new_entities) == (1, 1, 0)
    assert _entity_of()[max(records)] == keeper
    alone.refresh_from_db()
    assert alone.merged_into_id == keeper
    assert EntityEvent.objects.filter(entity=alone, action=EntityEvent.Action.MERGED).exists()


def test_pairs_a_person_decided_are_never_proposed_or_joined_again(people, fife):
    # A wide band between the thresholds, so that the small set has pairs to queue.
    LinkageThresholds.objects.create(
        partnership=fife, kind=EntityKind.PERSON, auto_link=0.9999, review=0.00001
    )
    # Two records of one person, said by a reviewer not to be the same.
    by_person: dict[int, list[int]] = {}
    for record, person in people.person_of.items():
        by_person.setdefault(person, []).append(record)
    left, right = next(sorted(r) for r in by_person.values() if len(r) == 2)
    CandidatePair.objects.create(
        partnership=fife,
        kind=EntityKind.PERSON,
        left_record_id=left,
        right_record_id=right,
        match_probability=0.99,
        match_weight=10,
        status=PairStatus.DIFFERENT,
    )
    first = link_bulk(partnership=fife, kind=EntityKind.PERSON)
    assert first.pairs_queued > 0
    entity_of = _entity_of()
    assert entity_of[left] != entity_of[right]
    waiting = CandidatePair.objects.filter(status=PairStatus.WAITING)
    model = LinkageModel.objects.get(partnership=fife, kind=EntityKind.PERSON)
    prior = model.settings["probability_two_random_records_match"]
    for pair in waiting:
        # The evidence is the whole account: the prior and the comparisons' weights add up.
        total = math.log2(prior / (1 - prior)) + sum(e["match_weight"] for e in pair.evidence)
        assert total == pytest.approx(pair.match_weight, abs=1e-3)
        records = PersonRecord.objects.filter(pk__in=[pair.left_record_id, pair.right_record_id])
        (score,) = scores_of_pairs(model, *([row] for row in rows_of(EntityKind.PERSON, records)))
        assert [e["level"] for e in pair.evidence] == [e.level for e in score.evidence]
    evidence = waiting.first().evidence
    assert [item["comparison"] for item in evidence][:3] == [
        "Given name",
        "Family name",
        "Date of birth",
    ]
    waiting.update(status=PairStatus.DIFFERENT, decided_at=datetime.datetime.now(datetime.UTC))
    again = link_bulk(partnership=fife, kind=EntityKind.PERSON)
    assert again.pairs_queued == 0
    assert not CandidatePair.objects.filter(status=PairStatus.WAITING).exists()


def test_places_with_the_same_uprn_are_one_place(places, fife):
    result = link_bulk(partnership=fife, kind=EntityKind.PLACE)
    found = _linked_pairs(_entity_of(EntityKind.PLACE))
    truth = places.true_pairs(places.place_of)
    assert len(found & truth) / len(found) >= 0.95
    assert len(found & truth) / len(truth) >= 0.8
    assert result.records == len(places.place_of)
    entity_of = _entity_of(EntityKind.PLACE)
    uprns: dict[str, set[int]] = {}
    from saferhub.places.models import PlaceRecord

    for record in PlaceRecord.objects.exclude(uprn=""):
        uprns.setdefault(record.uprn, set()).add(entity_of[record.pk])
    assert all(len(entities) == 1 for entities in uprns.values())


def test_the_link_command_prints_what_it_did(people, fife):
    out = StringIO()
    call_command("link", "people", "--partnership", "fife", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "Trained person linkage model version 1." in text
    assert f"Linked the people of fife: {len(people.person_of)} records in" in text
    out = StringIO()
    call_command("link", "people", "--no-progress", stdout=out)
    assert "Nothing changed." in out.getvalue()


def test_the_link_command_names_an_unknown_partnership(fife):
    with pytest.raises(CommandError, match="No partnership with code 'nowhere'; the partner"):
        call_command("link", "people", "--partnership", "nowhere", "--no-progress")


def test_the_link_command_needs_a_partnership(db):
    with pytest.raises(CommandError, match="no partnership yet"):
        call_command("link", "places", "--no-progress")


def test_the_background_task_links_and_reports_its_counts(people, fife):
    run = LinkageRun.objects.create(partnership=fife, kind=EntityKind.PERSON)
    outcome = link_in_background.call(run.pk)
    assert outcome["status"] == "finished"
    assert outcome["records"] == len(people.person_of)
    run.refresh_from_db()
    assert (run.status, run.steps_done, run.outcome["records"]) == (
        LinkageRun.Status.FINISHED,
        run.steps_total,
        len(people.person_of),
    )
    assert link_in_background.call(0) == {"status": "missing"}
    # A run is carried out once, however often its task is delivered.
    assert link_in_background.call(run.pk) == {"status": "finished"}


def test_training_learns_from_a_seeded_sample_of_a_large_set():
    import pyarrow as pa

    from saferhub.linkage.training import training_sample

    table = pa.table({"unique_id": list(range(1000)), "given_name": ["x"] * 1000})

    sample = training_sample(table, limit=100)

    ids = sample.column("unique_id").to_pylist()
    assert len(ids) == len(set(ids)) == 100
    assert ids == sorted(ids) and set(ids) <= set(range(1000))
    assert training_sample(table, limit=100).equals(sample)  # the same records each time
    assert training_sample(table, limit=1000) is table
