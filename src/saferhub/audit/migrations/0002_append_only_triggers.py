"""The database itself refuses to change or remove audit events and their subjects.

The chain head may only move forward. `saferhub flush` lifts these triggers for its own
transaction (saferhub/audit/management/commands/flush.py).
"""

from django.db import migrations

APPEND_ONLY_TABLES = ("audit_auditevent", "audit_auditsubject")
HEAD_TABLE = "audit_auditchainhead"

POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'The audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE FUNCTION audit_head_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR NEW.last_sequence < OLD.last_sequence OR NEW.count < OLD.count THEN
            RAISE EXCEPTION 'The audit chain head only moves forward: % on % is refused',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    *[
        sql
        for table in APPEND_ONLY_TABLES
        for sql in (
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
        )
    ],
    f"CREATE TRIGGER {HEAD_TABLE}_forward_only BEFORE UPDATE OR DELETE ON {HEAD_TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_head_moves_forward()",
    f"CREATE TRIGGER {HEAD_TABLE}_no_truncate BEFORE TRUNCATE ON {HEAD_TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
]

POSTGRESQL_BACKWARD = [
    *[
        f"DROP TRIGGER {table}_{kind} ON {table}"
        for table in APPEND_ONLY_TABLES
        for kind in ("append_only", "no_truncate")
    ],
    f"DROP TRIGGER {HEAD_TABLE}_forward_only ON {HEAD_TABLE}",
    f"DROP TRIGGER {HEAD_TABLE}_no_truncate ON {HEAD_TABLE}",
    "DROP FUNCTION audit_refuse_change()",
    "DROP FUNCTION audit_head_moves_forward()",
]

SQLITE_FORWARD = [
    *[
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: {operation} on {table} "
        "is refused'); END"
        for table in APPEND_ONLY_TABLES
        for operation in ("UPDATE", "DELETE")
    ],
    f"CREATE TRIGGER {HEAD_TABLE}_no_delete BEFORE DELETE ON {HEAD_TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'The audit chain head only moves forward: DELETE on "
    f"{HEAD_TABLE} is refused'); END",
    f"CREATE TRIGGER {HEAD_TABLE}_forward_only BEFORE UPDATE ON {HEAD_TABLE} "
    "WHEN NEW.last_sequence < OLD.last_sequence OR NEW.count < OLD.count "
    "BEGIN SELECT RAISE(ABORT, 'The audit chain head only moves forward: UPDATE on "
    f"{HEAD_TABLE} is refused'); END",
]

SQLITE_BACKWARD = [
    *[
        f"DROP TRIGGER {table}_no_{operation}"
        for table in APPEND_ONLY_TABLES
        for operation in ("update", "delete")
    ],
    f"DROP TRIGGER {HEAD_TABLE}_no_delete",
    f"DROP TRIGGER {HEAD_TABLE}_forward_only",
]


def run(statements_by_vendor: dict[str, list[str]]):
    def operation(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise NotImplementedError(
                f"The audit trail's append-only triggers exist for PostgreSQL and SQLite, "
                f"not {vendor}."
            )
        for statement in statements_by_vendor[vendor]:
            # No parameters: the "%" of RAISE EXCEPTION are not placeholders.
            schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
