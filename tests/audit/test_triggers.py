"""The database itself refuses to change or remove audit events, whatever SQL is sent."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from saferhub.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, AuditSubject
from saferhub.audit.services import audit_chain_verify
from tests.audit.conftest import disclosure, raw_sql, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(jo) -> AuditEvent:
    record(jo, disclosure(1, subjects=("k1",)))
    [event] = record(jo, disclosure(2, subjects=("k2",)))
    return event


def refused(sql: str, params: list | tuple = ()) -> str:
    """Run SQL that the database must refuse; its message."""
    # A savepoint, so that the test's transaction survives the error on PostgreSQL.
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        raw_sql(sql, params)
    return str(caught.value)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'nothing' WHERE sequence = %s",
        "UPDATE audit_auditevent SET hash = previous_hash WHERE sequence = %s",
        "DELETE FROM audit_auditevent WHERE sequence = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(event, sql):
    message = refused(sql, [event.sequence])
    assert "append-only" in message and "audit_auditevent" in message
    assert AuditEvent.objects.get(sequence=event.sequence).action == "read"
    assert audit_chain_verify().intact


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditsubject SET subject_key = 'someone-else' WHERE event_id = %s",
        "DELETE FROM audit_auditsubject WHERE event_id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_subject(event, sql):
    message = refused(sql, [event.sequence])
    assert "append-only" in message and "audit_auditsubject" in message
    assert AuditSubject.objects.get(event_id=event.sequence).subject_key == "k2"


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM audit_auditchainhead",
        "UPDATE audit_auditchainhead SET last_sequence = last_sequence - 1",
        "UPDATE audit_auditchainhead SET count = 0",
    ],
)
def test_the_database_refuses_to_move_the_head_back(event, sql):
    assert "only moves forward" in refused(sql)
    assert AuditChainHead.objects.get().count == 2


@pytest.mark.parametrize(
    "table", ["audit_auditevent", "audit_auditsubject", "audit_auditchainhead"]
)
def test_the_database_refuses_to_empty_the_audit_tables(event, table):
    # PostgreSQL empties a table with TRUNCATE; SQLite has none, and deletes every row instead.
    if connection.vendor == "postgresql":
        assert "TRUNCATE" in refused(f"TRUNCATE {table} CASCADE")
    else:
        assert refused(f"DELETE FROM {table}")
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_empties_the_trail_and_keeps_it_append_only(jo):
    record(jo, disclosure(1, subjects=("k1",)))
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists() and not AuditChainHead.objects.exists()
    assert audit_chain_verify().intact
    # The chain starts again, and the database still refuses changes.
    [event] = record(None, disclosure(1))
    assert event.previous_hash == GENESIS_HASH
    assert "append-only" in refused("DELETE FROM audit_auditevent")
