"""rows_insert writes what bulk_create would, by COPY on PostgreSQL."""

from saferhub.hub.bulk import rows_insert
from saferhub.linkage.models import Entity, EntityEvent, EntityKind


def test_rows_get_their_ids_defaults_times_and_json(fife):
    ids = rows_insert(
        Entity,
        [{"partnership_id": fife.pk, "kind": EntityKind.PERSON} for _ in range(3)],
        with_ids=True,
    )
    assert sorted(ids) == sorted(Entity.objects.values_list("pk", flat=True))
    assert len(set(ids)) == 3

    rows_insert(
        EntityEvent,
        [
            {"entity_id": ids[0], "action": EntityEvent.Action.CREATED, "detail": {"run": "b"}},
            {"entity_id": ids[1], "action": EntityEvent.Action.LINKED},
        ],
    )

    first, second = EntityEvent.objects.order_by("pk")
    assert (first.entity_id, first.detail, first.by_id) == (ids[0], {"run": "b"}, None)
    assert second.detail == {}  # the field's default
    assert first.at is not None and Entity.objects.get(pk=ids[2]).created_at is not None
    # The sequence moved on: an ordinary save after the bulk write gets a fresh id.
    assert Entity.objects.create(partnership=fife, kind=EntityKind.PLACE).pk not in ids


def test_nothing_to_write_writes_nothing(fife):
    assert rows_insert(Entity, [], with_ids=True) == []
    assert not Entity.objects.exists()
