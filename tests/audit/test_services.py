"""Writing the audit trail: one event per disclosure, each linked to the one before."""

import datetime
import itertools

import pytest
from django.db import transaction

from saferhub.audit.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditEvent,
    AuditSubject,
    AuditTrailIsAppendOnly,
)
from saferhub.audit.services import HASHED_FIELDS, audit_chain_verify, audit_record, event_hash
from tests.audit.conftest import disclosure, record

pytestmark = pytest.mark.django_db


def stored(event: AuditEvent) -> tuple[dict, list[str]]:
    """An event's hashed fields and subjects as the database gives them back."""
    fields = AuditEvent.objects.values(*HASHED_FIELDS, "hash").get(sequence=event.sequence)
    subjects = list(
        AuditSubject.objects.filter(event_id=event.sequence).values_list("subject_key", flat=True)
    )
    return fields, subjects


def test_the_first_event_follows_the_genesis_hash_and_the_next_follows_it(jo):
    [first] = record(jo, disclosure(1))
    [second] = record(jo, disclosure(2))
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.hash
    assert second.sequence > first.sequence
    assert len(first.hash) == 64 and first.hash != second.hash


def test_a_hundred_disclosures_make_a_hundred_linked_events(jo, django_assert_max_num_queries):
    record(jo, disclosure(0))
    with django_assert_max_num_queries(7):
        events = record(
            jo, *[disclosure(i, subjects=(f"person-{i}", "person-x")) for i in range(1, 101)]
        )
    assert len(events) == 100
    in_database = list(AuditEvent.objects.order_by("sequence"))[1:]
    assert [e.record_id for e in in_database] == list(range(1, 101))
    for before, after in itertools.pairwise(in_database):
        assert after.previous_hash == before.hash
        assert after.sequence > before.sequence
    assert AuditSubject.objects.count() == 200
    assert AuditSubject.objects.filter(subject_key="person-x").count() == 100
    head = AuditChainHead.objects.get()
    assert (head.count, head.last_sequence, head.last_hash) == (
        101,
        events[-1].sequence,
        events[-1].hash,
    )
    assert audit_chain_verify().intact


def test_the_hash_covers_the_content_as_stored_and_the_subjects(jo):
    [event] = record(jo, disclosure(7, subjects=("b-key", "a-key")))
    fields, subjects = stored(event)
    assert event_hash(fields, subjects) == fields["hash"] == event.hash
    assert event_hash(fields, ["a-key"]) != event.hash
    assert event_hash({**fields, "level": "depersonalised"}, subjects) != event.hash
    assert event_hash({**fields, "previous_hash": "f" * 64}, subjects) != event.hash


def test_it_copies_who_did_it_and_what_they_saw(jo):
    [event] = record(jo, disclosure(42, subjects=("k1",)), action="export")
    event = AuditEvent.objects.get(sequence=event.sequence)
    assert (event.actor, event.actor_username, event.actor_organisation) == (
        jo,
        "jo.smith",
        "police-fife",
    )
    assert (event.action, event.purpose, event.record_type, event.record_id) == (
        "export",
        "tasking",
        "incident",
        42,
    )
    assert (event.partnership_code, event.owner_code, event.level, event.basis) == (
        "fife",
        "police-fife",
        "personal",
        "protocol",
    )
    assert (event.protocol_code, event.protocol_version) == ("fife-isp", 3)
    assert list(event.subjects.values_list("subject_key", flat=True)) == ["k1"]


def test_an_event_with_no_disclosure_has_no_record(jo):
    [event] = audit_record(
        actor=jo, action="protocol_signed", purpose="", detail={"partnership": "fife"}
    )
    assert (event.record_type, event.record_id, event.level) == ("", None, "")
    # The protocol services name the partnership in the detail; the event belongs to it.
    assert event.partnership_code == "fife"


def test_the_hub_itself_can_be_the_actor(fife):
    [event] = audit_record(
        actor=None, action="retention_sweep", purpose="", partnership_code="fife"
    )
    assert (event.actor_id, event.actor_username, event.actor_organisation) == (None, "", "")
    assert audit_chain_verify().intact


def test_details_read_back_from_the_database_keep_their_hash(jo):
    detail = {
        "reason": "Risk to life at Zoë Ćwik's café",
        "hours": 24,
        "ratio": 0.1,
        "big": 1e20,
        "on": datetime.date(2026, 3, 31),
        "list": (1, 2.5, None, True),
        "nested": {"z": 1, "a": [{"b": "c"}]},
    }
    [event] = record(jo, disclosure(1), detail=detail)
    fields, subjects = stored(event)
    assert fields["detail"]["on"] == "2026-03-31"
    assert event_hash(fields, subjects) == event.hash
    assert audit_chain_verify().intact


def test_a_rolled_back_write_leaves_the_chain_intact(jo):
    [first] = record(jo, disclosure(1))
    with pytest.raises(RuntimeError), transaction.atomic():
        record(jo, disclosure(2))
        raise RuntimeError("the caller's work failed")
    [third] = record(jo, disclosure(3))
    assert third.previous_hash == first.hash
    assert AuditEvent.objects.count() == 2
    report = audit_chain_verify()
    assert report.intact and report.count == 2
    # The numbers come from the head, which the rolled-back write never moved.
    assert third.sequence == first.sequence + 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "x" * 41}, "action is longer than 40"),
        ({"action": ""}, "needs an action"),
        ({"purpose": "curiosity"}, "unknown purpose"),
        ({"disclosures": [disclosure(1, level="none")]}, "unknown level"),
        ({"disclosures": [disclosure(1, subjects="abc")]}, "not one string"),
        ({"disclosures": [disclosure(1, subjects=("k" * 65,))]}, "subject key is longer"),
        ({"detail": {"x": float("nan")}}, "Out of range float"),
    ],
)
def test_it_refuses_what_it_cannot_record_faithfully(jo, kwargs, message):
    arguments = {"actor": jo, "action": "read", "purpose": "tasking", **kwargs}
    with pytest.raises((ValueError, TypeError), match=message):
        audit_record(**arguments)
    assert not AuditEvent.objects.exists()


def test_the_orm_refuses_to_change_or_remove_events(jo):
    [event] = record(jo, disclosure(1, subjects=("k1",)))
    event.action = "nothing to see"
    attempts = [
        event.save,
        event.delete,
        lambda: AuditEvent.objects.filter(sequence=event.sequence).update(action="x"),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.bulk_update([event], ["action"]),
        lambda: AuditEvent.objects.create(action="forged", occurred_at=event.occurred_at),
        lambda: AuditSubject.objects.all().delete(),
        lambda: AuditSubject.objects.update(subject_key="other"),
        lambda: AuditSubject.objects.get().delete(),
    ]
    for attempt in attempts:
        with pytest.raises(AuditTrailIsAppendOnly, match="append-only"):
            attempt()
    assert AuditEvent.objects.get().action == "read"
    assert AuditSubject.objects.get().subject_key == "k1"


def test_a_missing_head_stops_further_writes(jo):
    from saferhub.audit.services import AuditChainHeadMissing
    from tests.audit.conftest import lift_append_only, raw_sql

    record(jo, disclosure(1))
    lift_append_only()
    raw_sql("DELETE FROM audit_auditchainhead")
    with pytest.raises(AuditChainHeadMissing):
        record(jo, disclosure(2))


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_take_turns_and_keep_one_chain(jo):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def write(worker: int) -> None:
        try:
            for call in range(15):
                record(jo, *[disclosure(worker * 1000 + call * 10 + i) for i in range(5)])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))
    report = audit_chain_verify()
    assert report.intact, report.in_words()
    assert report.count == AuditEvent.objects.count() == 4 * 15 * 5
