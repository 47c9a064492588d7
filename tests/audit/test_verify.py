"""`saferhub audit verify`: an intact chain says so; any tampering is named by event number."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from saferhub.audit.models import GENESIS_HASH, AuditEvent
from saferhub.audit.services import audit_chain_verify, audit_record, event_hash
from tests.audit.conftest import disclosure, lift_append_only, raw_sql, record

pytestmark = pytest.mark.django_db


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue().strip()


def verify_fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*args)
    return str(caught.value)


@pytest.fixture
def chain(jo) -> list[AuditEvent]:
    """Ten events written in four calls, some about people."""
    events = record(jo, disclosure(1, subjects=("k1",)))
    events += record(jo, *[disclosure(i, subjects=(f"k{i}", "k0")) for i in (2, 3, 4)])
    events += audit_record(actor=jo, action="export", purpose="", partnership_code="fife")
    events += record(jo, *[disclosure(i) for i in range(6, 11)])
    return events


def test_verify_says_an_empty_chain_is_intact(db):
    assert verify() == f"Audit chain intact: 0 events, last hash {GENESIS_HASH}"


def test_verify_says_an_intact_chain_is_intact(chain):
    assert verify() == f"Audit chain intact: 10 events, last hash {chain[-1].hash}"


def test_verify_reads_the_chain_in_chunks(chain):
    assert verify("--chunk-size", "3").startswith("Audit chain intact: 10 events")
    lift_append_only()
    raw_sql(
        "UPDATE audit_auditevent SET level = 'aggregate' WHERE sequence = %s", [chain[7].sequence]
    )
    assert verify_fails("--chunk-size", "3") == (
        f"Audit chain broken at event {chain[7].sequence}: its content does not match its hash"
    )


def test_it_detects_an_edited_event(chain):
    lift_append_only()
    raw_sql(
        "UPDATE audit_auditevent SET actor_username = 'someone.else' WHERE sequence = %s",
        [chain[4].sequence],
    )
    assert verify_fails() == (
        f"Audit chain broken at event {chain[4].sequence}: its content does not match its hash"
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET occurred_at = occurred_at - interval '1 day' "
        "WHERE sequence = %s",
        'UPDATE audit_auditevent SET detail = \'{"note": "added"}\' WHERE sequence = %s',
        "UPDATE audit_auditevent SET record_id = 99 WHERE sequence = %s",
        "UPDATE audit_auditevent SET protocol_version = 2 WHERE sequence = %s",
        "UPDATE audit_auditsubject SET subject_key = 'k-someone-else' WHERE event_id = %s",
        "DELETE FROM audit_auditsubject WHERE event_id = %s",
        "INSERT INTO audit_auditsubject (event_id, subject_key) VALUES (%s, 'k-added')",
    ],
)
def test_it_detects_any_change_to_an_events_content_or_subjects(chain, sql):
    if "interval" in sql and connection.vendor == "sqlite":
        sql = "UPDATE audit_auditevent SET occurred_at = '2020-01-01 00:00:00' WHERE sequence = %s"
    lift_append_only()
    raw_sql(sql, [chain[2].sequence])
    assert verify_fails() == (
        f"Audit chain broken at event {chain[2].sequence}: its content does not match its hash"
    )


def test_it_detects_an_edited_event_whose_hash_was_recomputed(chain):
    edited = AuditEvent.objects.values().get(sequence=chain[5].sequence)
    edited = {**edited, "action": "nothing"}
    lift_append_only()
    raw_sql(
        "UPDATE audit_auditevent SET action = 'nothing', hash = %s WHERE sequence = %s",
        [event_hash(edited, []), chain[5].sequence],
    )
    assert verify_fails() == (
        f"Audit chain broken at event {chain[6].sequence}: "
        f"it does not follow event {chain[5].sequence}"
    )


def test_it_detects_an_event_deleted_from_the_middle(chain):
    lift_append_only()
    raw_sql("DELETE FROM audit_auditsubject WHERE event_id = %s", [chain[3].sequence])
    raw_sql("DELETE FROM audit_auditevent WHERE sequence = %s", [chain[3].sequence])
    assert verify_fails() == (
        f"Audit chain broken at event {chain[4].sequence}: "
        f"it does not follow event {chain[2].sequence}"
    )


def test_it_detects_the_first_event_deleted(chain):
    lift_append_only()
    raw_sql("DELETE FROM audit_auditsubject WHERE event_id = %s", [chain[0].sequence])
    raw_sql("DELETE FROM audit_auditevent WHERE sequence = %s", [chain[0].sequence])
    assert verify_fails() == (
        f"Audit chain broken at event {chain[1].sequence}: "
        "it does not follow the start of the chain"
    )


def test_it_detects_the_last_event_deleted(chain):
    lift_append_only()
    raw_sql("DELETE FROM audit_auditevent WHERE sequence = %s", [chain[-1].sequence])
    assert verify_fails() == (
        f"Audit chain broken at the end: the chain ends at event {chain[-2].sequence} "
        f"but the head records {chain[-1].sequence}"
    )


def test_it_detects_every_event_deleted(chain):
    lift_append_only()
    raw_sql("DELETE FROM audit_auditsubject")
    raw_sql("DELETE FROM audit_auditevent")
    assert verify_fails() == (
        f"Audit chain broken at the end: there are no events but the head records "
        f"{chain[-1].sequence}"
    )


def test_it_detects_the_last_event_deleted_and_the_head_moved_back(chain):
    lift_append_only()
    raw_sql("DELETE FROM audit_auditevent WHERE sequence = %s", [chain[-1].sequence])
    raw_sql(
        "UPDATE audit_auditchainhead SET last_sequence = %s, last_hash = %s",
        [chain[-2].sequence, chain[-2].hash],
    )
    # Without a copy of the last hash kept elsewhere, only the head's count gives this away.
    assert (
        verify_fails()
        == "Audit chain broken at the end: the chain has 9 events but the head counts 10"
    )


def test_it_detects_an_event_added_after_the_head(chain):
    report = audit_chain_verify()
    assert report.intact
    lift_append_only()
    raw_sql("UPDATE audit_auditchainhead SET last_sequence = %s", [chain[-2].sequence])
    assert verify_fails() == (
        f"Audit chain broken at the end: the chain ends at event {chain[-1].sequence} "
        f"but the head records {chain[-2].sequence}"
    )


def test_a_gap_in_sequence_numbers_is_not_tampering(chain, jo):
    # As a restore from an older numbering might leave them.
    lift_append_only()
    raw_sql("UPDATE audit_auditchainhead SET last_sequence = last_sequence + 5")
    [after_gap] = record(jo, disclosure(11))
    assert after_gap.sequence == chain[-1].sequence + 6
    assert verify().startswith("Audit chain intact: 11 events")
