"""Deciding pairs, merging, unmerging and taking records out: each change undoable and kept in
the entity's history, and the review queue offering only pairs the reviewer may see in full."""

import pytest

from saferhub.audit.models import AuditEvent
from saferhub.linkage.models import (
    CandidatePair,
    Entity,
    EntityEvent,
    EntityKind,
    LinkageThresholds,
    PairStatus,
    RecordLink,
)
from saferhub.linkage.selectors import pairs_for_review
from saferhub.linkage.services import (
    LinkageChangeInvalid,
    ThresholdsInvalid,
    entities_merge,
    entity_unmerge,
    pair_decide,
    record_unlink,
    thresholds_update,
)
from saferhub.sharing.engine import reader_for, reader_in_partnership
from saferhub.sharing.models import Purpose
from tests.linkage import entities
from tests.linkage.entities import linked, member, pair_of

# The fixtures these tests use, from tests/linkage/entities.py.
margaret_linked, staff, three_records = (
    entities.margaret_linked,
    entities.staff,
    entities.three_records,
)


def _queue(user, fife):
    reader = reader_in_partnership(reader_for(user, Purpose.TASKING), fife.pk)
    views, count = pairs_for_review(reader=reader, partnership=fife, kind=EntityKind.PERSON)
    return [view.pair for view in views], count


def _links(entity: Entity) -> list[tuple]:
    return list(
        RecordLink.objects.filter(entity=entity)
        .order_by("pk")
        .values_list("pk", "person_record_id", "match_probability", "linked_by", "linked_at")
    )


def test_the_queue_offers_only_pairs_whose_both_records_the_reviewer_sees_in_full(
    fife, three_records
):
    council, nhs, police = (three_records[k] for k in ("council", "nhs", "police"))
    seen_by_police = pair_of(fife, council, police)
    pair_of(fife, council, nhs)
    police_coordinator = member(fife, "coord.police", "police-fife", ["coordinator"])
    fire_coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    housing_analyst = member(fife, "analyst.housing", "kingdom-ha", ["analyst"])

    assert _queue(police_coordinator, fife) == ([seen_by_police], 1)
    # Fire sees the council's record in full but neither other one.
    assert _queue(fire_coordinator, fife) == ([], 0)
    # Housing sees the council's record only depersonalised.
    assert _queue(housing_analyst, fife) == ([], 0)


def test_a_manager_is_offered_nothing(fife, three_records):
    pair_of(fife, three_records["council"], three_records["police"])
    manager = member(fife, "manager.police", "police-fife", ["manager"])

    assert _queue(manager, fife) == ([], 0)


def test_a_decided_pair_is_never_offered_again(fife, three_records):
    council, police = three_records["council"], three_records["police"]
    pair = pair_of(fife, council, police)
    reviewer = member(fife, "coord.police", "police-fife", ["coordinator"])

    pair_decide(pair=pair, same=False, user=reviewer)

    assert _queue(reviewer, fife) == ([], 0)
    pair.refresh_from_db()
    assert pair.status == PairStatus.DIFFERENT
    assert pair.decided_by == reviewer
    with pytest.raises(LinkageChangeInvalid):
        pair_decide(pair=pair, same=True, user=reviewer)


def test_the_same_makes_one_entity_of_two_unlinked_records(fife, three_records):
    council, police = three_records["council"], three_records["police"]
    reviewer = member(fife, "coord.police", "police-fife", ["coordinator"])

    pair_decide(pair=pair_of(fife, council, police), same=True, user=reviewer)

    entity = Entity.objects.get()
    assert {link.person_record_id for link in entity.links.all()} == {council.pk, police.pk}
    assert AuditEvent.objects.filter(action="pair_decide").count() == 2


def test_the_same_brings_a_record_into_the_others_entity(fife, three_records):
    council, police = three_records["council"], three_records["police"]
    entity = linked(fife, council)
    reviewer = member(fife, "coord.police", "police-fife", ["coordinator"])

    pair_decide(pair=pair_of(fife, council, police), same=True, user=reviewer)

    assert entity.links.count() == 2
    assert entity.events.filter(action=EntityEvent.Action.LINKED).exists()


def test_the_same_merges_two_entities_and_the_merge_can_be_undone(fife, three_records):
    council, police = three_records["council"], three_records["police"]
    first, second = linked(fife, council), linked(fife, police)
    reviewer = member(fife, "coord.police", "police-fife", ["coordinator"])

    pair_decide(pair=pair_of(fife, council, police), same=True, user=reviewer)

    second.refresh_from_db()
    assert second.merged_into == first
    assert first.links.count() == 2


def test_not_the_same_splits_two_records_a_bulk_run_linked(fife, three_records, margaret_linked):
    council, police = three_records["council"], three_records["police"]
    reviewer = member(fife, "coord.police", "police-fife", ["coordinator"])

    pair_decide(pair=pair_of(fife, council, police), same=False, user=reviewer)

    assert not margaret_linked.links.filter(person_record=police).exists()
    own = RecordLink.objects.get(person_record=police).entity
    assert own != margaret_linked
    assert own.links.count() == 1
    assert margaret_linked.events.filter(action=EntityEvent.Action.UNLINKED).exists()


def test_merge_then_unmerge_restores_links_and_history_exactly(fife, three_records):
    council, nhs, police = (three_records[k] for k in ("council", "nhs", "police"))
    survivor, merged = linked(fife, council), linked(fife, nhs, police)
    before = (_links(survivor), _links(merged))
    user = member(fife, "coord.police", "police-fife", ["coordinator"])

    entities_merge(survivor=survivor, merged=merged, user=user)
    assert _links(merged) == []
    event = survivor.events.get(action=EntityEvent.Action.MERGED)
    assert sorted(event.detail["records"]) == sorted([nhs.pk, police.pk])

    restored = entity_unmerge(entity=survivor, user=user)

    merged.refresh_from_db()
    assert restored == merged
    assert merged.merged_into is None
    assert (_links(survivor), _links(merged)) == before
    undo = survivor.events.get(action=EntityEvent.Action.UNMERGED)
    assert undo.detail["merge_event"] == event.pk
    # Nothing is left to undo.
    with pytest.raises(LinkageChangeInvalid):
        entity_unmerge(entity=survivor, user=user)
    assert AuditEvent.objects.filter(action="entity_merge").exists()
    assert AuditEvent.objects.filter(action="entity_unmerge").exists()


def test_unmerge_undoes_the_last_merge_first(fife, three_records):
    council, nhs, police = (three_records[k] for k in ("council", "nhs", "police"))
    survivor, second, third = linked(fife, council), linked(fife, nhs), linked(fife, police)
    entities_merge(survivor=survivor, merged=second, user=None)
    entities_merge(survivor=survivor, merged=third, user=None)

    assert entity_unmerge(entity=survivor, user=None) == third
    assert entity_unmerge(entity=survivor, user=None) == second
    assert survivor.links.count() == 1


def test_an_entity_cannot_be_merged_twice_or_into_itself(fife, three_records):
    first, second = linked(fife, three_records["council"]), linked(fife, three_records["nhs"])
    with pytest.raises(LinkageChangeInvalid):
        entities_merge(survivor=first, merged=first, user=None)
    entities_merge(survivor=first, merged=second, user=None)
    with pytest.raises(LinkageChangeInvalid):
        entities_merge(survivor=first, merged=second, user=None)


def test_a_record_taken_out_stands_on_its_own(fife, three_records, margaret_linked):
    link = margaret_linked.links.get(person_record=three_records["nhs"])

    own = record_unlink(link=link, user=None)

    assert list(own.links.values_list("person_record_id", flat=True)) == [three_records["nhs"].pk]
    assert margaret_linked.links.count() == 2
    assert own.events.filter(action=EntityEvent.Action.CREATED).exists()
    with pytest.raises(LinkageChangeInvalid):
        record_unlink(link=own.links.get(), user=None)


@pytest.mark.parametrize(
    ("auto_link", "review", "field"),
    [
        (1.2, 0.5, "auto_link"),
        (0.9, -0.1, "review"),
        (0.6, 0.7, "review"),
        (None, 0.5, "auto_link"),
    ],
)
def test_thresholds_are_checked(fife, auto_link, review, field):
    with pytest.raises(ThresholdsInvalid) as raised:
        thresholds_update(
            partnership=fife, kind=EntityKind.PERSON, auto_link=auto_link, review=review, user=None
        )
    assert field in raised.value.errors
    assert not LinkageThresholds.objects.exists()


def test_thresholds_are_stored_and_audited(fife):
    thresholds_update(partnership=fife, kind=EntityKind.PLACE, auto_link=0.9, review=0.9, user=None)

    stored = LinkageThresholds.objects.get(partnership=fife, kind=EntityKind.PLACE)
    assert (stored.auto_link, stored.review) == (0.9, 0.9)
    assert AuditEvent.objects.filter(action="linkage_thresholds").exists()


def test_a_pair_waiting_elsewhere_is_not_in_the_queue(fife, three_records):
    pair = pair_of(fife, three_records["council"], three_records["police"])
    CandidatePair.objects.filter(pk=pair.pk).update(kind=EntityKind.PLACE)
    reviewer = member(fife, "coord.police", "police-fife", ["coordinator"])

    assert _queue(reviewer, fife) == ([], 0)
