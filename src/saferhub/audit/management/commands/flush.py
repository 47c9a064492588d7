"""Django's `flush`, which also empties the audit trail.

The audit tables refuse DELETE and TRUNCATE (migration audit 0002), so Django's own flush would
fail once the trail has events, and on PostgreSQL even when it has none. The test suite flushes
after every test that commits (browser tests, for one). This lifts the triggers for the flush's
own transaction only: on PostgreSQL that takes the tables' owner, as dropping them would.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.commands import flush
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

AUDIT_TABLES = ("audit_auditevent", "audit_auditsubject", "audit_auditchainhead")


class Command(flush.Command):
    help = flush.Command.help + " Empties the audit trail too."

    def handle(self, **options) -> None:
        connection = connections[options["database"]]
        with transaction.atomic(using=connection.alias), append_only_lifted(connection):
            super().handle(**options)


@contextmanager
def append_only_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    tables = [t for t in AUDIT_TABLES if t in connection.introspection.table_names()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = [(name, sql) for name, table, sql in cursor.fetchall() if table in tables]
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            for _, sql in triggers:
                cursor.execute(sql)
        else:
            yield
