"""Changing linked people and places by hand: deciding pairs, merging, unmerging, taking a
record out, and tuning the thresholds.

Each change is one transaction that writes the entity's history (EntityEvent) and an audit
event naming every record whose entity changed, since those records are other
organisations' data. The history holds enough to undo a merge exactly.
"""

from django.db import transaction
from django.utils import timezone

from saferhub.audit.services import Disclosure, audit_record
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
from saferhub.linkage.selectors import last_merge
from saferhub.partnerships.models import Partnership, User
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord

Action = EntityEvent.Action


class LinkageChangeInvalid(Exception):
    """The change cannot be made; the message says why, in words fit for the person asking."""


class ThresholdsInvalid(Exception):
    """The thresholds cannot be stored; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _field(kind: str) -> str:
    return "person_record" if kind == EntityKind.PERSON else "place_record"


def _record_id(link: RecordLink) -> int:
    return link.person_record_id or link.place_record_id


def _audit_change(
    *, user: User | None, action: str, partnership: Partnership, kind: str, record_ids, detail
) -> None:
    """One audit event per record whose linking changed, naming its owner: the linking of
    another organisation's record is a change to what the partnership holds about them."""
    model = PersonRecord if kind == EntityKind.PERSON else PlaceRecord
    owners = dict(
        model.objects.filter(pk__in=set(record_ids)).values_list("pk", "organisation__code")
    )
    audit_record(
        actor=user,
        action=action,
        purpose="tasking",
        detail={**detail, "kind": kind},
        disclosures=[
            Disclosure(
                record_type=f"{kind}_record",
                record_id=pk,
                partnership_code=partnership.code,
                owner_code=owner,
                level="personal",
                basis="linkage",
            )
            for pk, owner in sorted(owners.items())
        ],
    )


def _locked(entity: Entity) -> Entity:
    return Entity.objects.select_for_update().get(pk=entity.pk)


@transaction.atomic
def entities_merge(*, survivor: Entity, merged: Entity, user: User | None) -> Entity:
    """Move every record of `merged` into `survivor`. The merged entity keeps its row, with
    `merged_into` set, so that its id still leads somewhere; the survivor's history names
    the links that moved, so that entity_unmerge can move exactly those back."""
    survivor, merged = _locked(survivor), _locked(merged)
    if survivor.pk == merged.pk:
        raise LinkageChangeInvalid("An entity cannot be merged into itself")
    if (survivor.partnership_id, survivor.kind) != (merged.partnership_id, merged.kind):
        raise LinkageChangeInvalid("Only entities of one kind in one partnership can be merged")
    if survivor.merged_into_id or merged.merged_into_id:
        raise LinkageChangeInvalid("That entity was merged into another already")
    links = list(RecordLink.objects.filter(entity=merged).order_by("pk"))
    link_ids, record_ids = [link.pk for link in links], [_record_id(link) for link in links]
    # update() leaves linked_at as it was, so an unmerge restores the links exactly.
    RecordLink.objects.filter(pk__in=link_ids).update(entity=survivor)
    merged.merged_into = survivor
    merged.save(update_fields=["merged_into", "updated_at"])
    survivor.save(update_fields=["updated_at"])
    detail = {"merged_entity": merged.pk, "links": link_ids, "records": record_ids}
    EntityEvent.objects.create(entity=survivor, action=Action.MERGED, detail=detail, by=user)
    EntityEvent.objects.create(
        entity=merged,
        action=Action.MERGED,
        detail={"into": survivor.pk, "links": link_ids, "records": record_ids},
        by=user,
    )
    _audit_change(
        user=user,
        action="entity_merge",
        partnership=survivor.partnership,
        kind=survivor.kind,
        record_ids=record_ids + [_record_id(link) for link in survivor.links.all()],
        detail={"entity": survivor.pk, "merged_entity": merged.pk},
    )
    return survivor


@transaction.atomic
def entity_unmerge(*, entity: Entity, user: User | None) -> Entity:
    """Undo the entity's last merge not yet undone: the links its history says moved go back
    to the merged entity, which stands on its own again. Returns that entity."""
    entity = _locked(entity)
    merge = last_merge(entity)
    if merge is None:
        raise LinkageChangeInvalid("Nothing was merged into this entity")
    merged = _locked(Entity(pk=merge.detail["merged_entity"]))
    link_ids = merge.detail["links"]
    still_here = RecordLink.objects.filter(pk__in=link_ids, entity=entity).count()
    if still_here != len(link_ids):
        raise LinkageChangeInvalid(
            "Some records of that merge have been taken out or moved since, so it cannot be "
            "undone exactly; take records out one by one instead"
        )
    RecordLink.objects.filter(pk__in=link_ids).update(entity=merged)
    merged.merged_into = None
    merged.save(update_fields=["merged_into", "updated_at"])
    entity.save(update_fields=["updated_at"])
    detail = {"merge_event": merge.pk, "links": link_ids, "records": merge.detail["records"]}
    EntityEvent.objects.create(
        entity=entity,
        action=Action.UNMERGED,
        detail={**detail, "merged_entity": merged.pk},
        by=user,
    )
    EntityEvent.objects.create(
        entity=merged, action=Action.UNMERGED, detail={**detail, "from": entity.pk}, by=user
    )
    _audit_change(
        user=user,
        action="entity_unmerge",
        partnership=entity.partnership,
        kind=entity.kind,
        record_ids=merge.detail["records"],
        detail={"entity": entity.pk, "merged_entity": merged.pk},
    )
    return merged


def _new_entity(partnership_id: int, kind: str, user: User | None, record_ids: list[int]) -> Entity:
    entity = Entity.objects.create(partnership_id=partnership_id, kind=kind)
    EntityEvent.objects.create(
        entity=entity, action=Action.CREATED, detail={"records": record_ids}, by=user
    )
    return entity


@transaction.atomic
def record_unlink(*, link: RecordLink, user: User | None) -> Entity:
    """Take a record out of its entity into an entity of its own; returns the new entity."""
    link = RecordLink.objects.select_for_update().select_related("entity").get(pk=link.pk)
    entity = link.entity
    if not RecordLink.objects.filter(entity=entity).exclude(pk=link.pk).exists():
        raise LinkageChangeInvalid("This record is the only one in its entity already")
    record_id = _record_id(link)
    own = _new_entity(link.partnership_id, entity.kind, user, [record_id])
    link.entity = own
    link.match_probability = 1.0
    link.linked_by = LinkedBy.REVIEWER
    link.save()
    EntityEvent.objects.create(
        entity=entity,
        action=Action.UNLINKED,
        detail={"record": record_id, "to_entity": own.pk},
        by=user,
    )
    _audit_change(
        user=user,
        action="entity_unlink",
        partnership=entity.partnership,
        kind=entity.kind,
        record_ids=[record_id],
        detail={"entity": entity.pk, "to_entity": own.pk},
    )
    return own


def _link_of(pair: CandidatePair, record_id: int) -> RecordLink | None:
    return (
        RecordLink.objects.select_for_update()
        .filter(partnership_id=pair.partnership_id, **{f"{_field(pair.kind)}_id": record_id})
        .first()
    )


def _join(pair: CandidatePair, entity: Entity, record_id: int, user: User | None) -> None:
    RecordLink.objects.create(
        entity=entity,
        partnership_id=pair.partnership_id,
        match_probability=1.0,
        linked_by=LinkedBy.REVIEWER,
        **{f"{_field(pair.kind)}_id": record_id},
    )
    EntityEvent.objects.create(
        entity=entity,
        action=Action.LINKED,
        detail={"record": record_id, "pair": pair.pk, "records": [record_id]},
        by=user,
    )


@transaction.atomic
def pair_decide(*, pair: CandidatePair, same: bool, user: User | None) -> CandidatePair:
    """Record a reviewer's decision on a waiting pair. The same: the two records end in one
    entity (their entities merge, or the one not yet linked joins). Not the same: the pair is
    remembered, so it is never proposed again, and two records a bulk run had put in one
    entity are split (the less certain one goes to an entity of its own)."""
    pair = CandidatePair.objects.select_for_update().get(pk=pair.pk)
    if pair.status != PairStatus.WAITING:
        raise LinkageChangeInvalid("Someone has decided this pair already")
    pair.status = PairStatus.SAME if same else PairStatus.DIFFERENT
    pair.decided_by, pair.decided_at = user, timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    left, right = _link_of(pair, pair.left_record_id), _link_of(pair, pair.right_record_id)
    if same:
        if left and right and left.entity_id != right.entity_id:
            survivor, merged = sorted([left.entity, right.entity], key=lambda e: e.pk)
            entities_merge(survivor=survivor, merged=merged, user=user)
        elif left and not right:
            _join(pair, left.entity, pair.right_record_id, user)
        elif right and not left:
            _join(pair, right.entity, pair.left_record_id, user)
        elif not left and not right:
            entity = _new_entity(
                pair.partnership_id, pair.kind, user, [pair.left_record_id, pair.right_record_id]
            )
            _join(pair, entity, pair.left_record_id, user)
            _join(pair, entity, pair.right_record_id, user)
    elif left and right and left.entity_id == right.entity_id:
        # The less certain link is the one the bulk run more likely got wrong.
        weaker = min([right, left], key=lambda link: link.match_probability)
        record_unlink(link=weaker, user=user)
    _audit_change(
        user=user,
        action="pair_decide",
        partnership=pair.partnership,
        kind=pair.kind,
        record_ids=[pair.left_record_id, pair.right_record_id],
        detail={"pair": pair.pk, "decision": pair.status},
    )
    return pair


@transaction.atomic
def thresholds_update(
    *, partnership: Partnership, kind: str, auto_link: float, review: float, user: User | None
) -> LinkageThresholds:
    """Set where the partnership draws its lines for people or places: 0 ≤ review ≤
    auto_link ≤ 1. They apply to the next linking run and to records as they arrive."""
    errors: dict[str, str] = {}
    if kind not in EntityKind.values:
        raise ValueError(f"unknown kind {kind!r}")
    for name, value in (("auto_link", auto_link), ("review", review)):
        if value is None or not 0 <= value <= 1:
            errors[name] = "Enter a probability between 0 and 1, like 0.95"
    if not errors and review > auto_link:
        errors["review"] = "The review threshold cannot be above the auto-link threshold"
    if errors:
        raise ThresholdsInvalid(errors)
    thresholds, _ = LinkageThresholds.objects.select_for_update().get_or_create(
        partnership=partnership, kind=kind
    )
    before = {"auto_link": thresholds.auto_link, "review": thresholds.review}
    thresholds.auto_link, thresholds.review, thresholds.updated_by = auto_link, review, user
    thresholds.save()
    audit_record(
        actor=user,
        action="linkage_thresholds",
        purpose="",
        partnership_code=partnership.code,
        detail={
            "kind": kind,
            "before": before,
            "after": {"auto_link": auto_link, "review": review},
        },
    )
    return thresholds


def linkage_run_queue(*, partnership: Partnership, kind: str, user: User | None) -> LinkageRun:
    """Queue a bulk linking run of `kind` for the background worker, once the current
    transaction commits (as imports are); the run's page follows it."""
    from saferhub.linkage import tasks  # the task module loads Splink; only when queueing

    run = LinkageRun.objects.create(partnership=partnership, kind=kind, started_by=user)
    transaction.on_commit(lambda: tasks.link_in_background.enqueue(run.pk))
    return run
