"""Writing many new rows at once.

Django's bulk_create builds one large INSERT per thousand rows from model instances, and at
the scale of a first linking run (a million record links, half a million entities and their
history) making the instances and the statements took most of the run. On PostgreSQL the rows
go through COPY instead, the database's own bulk path, from plain values; elsewhere
bulk_create is quick enough.
"""

import datetime
import json
from collections.abc import Callable

from django.db import connection
from django.db.models import Field, JSONField, Model
from django.utils import timezone

BATCH = 1000


def rows_insert(
    model: type[Model], rows: list[dict[str, object]], *, with_ids: bool = False
) -> list[int]:
    """Insert rows of `model`, each a dict of field attribute names (`entity_id`, not
    `entity`) to values; fields left out get their default, and auto_now fields the time,
    as bulk_create would. Returns the new rows' ids, in order, when `with_ids` (on
    PostgreSQL taken from the table's sequence first, so that COPY can write them)."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return [instance.pk for instance in created] if with_ids else []
    meta = model._meta
    quote = connection.ops.quote_name
    ids: list[int] = []
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        fields = [field for field in meta.concrete_fields if with_ids or not field.primary_key]
        values = [_value_of(field, timezone.now()) for field in fields]
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for position, row in enumerate(rows):
                if with_ids:
                    row = {**row, meta.pk.attname: ids[position]}
                copy.write_row([value(row) for value in values])
    return ids


def _value_of(field: Field, now: datetime.datetime) -> Callable[[dict], object]:
    """How to read a field's value for COPY from a row: what bulk_create would save, without
    its per-value machinery. Every row of one call gets the same time for auto_now fields,
    as one statement would."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda row: now
    name = field.attname
    if isinstance(field, JSONField):
        return lambda row: json.dumps(row[name] if name in row else field.get_default())
    if field.has_default() or field.null:
        default = field.get_default()
        return lambda row: row.get(name, default)
    return lambda row: row[name]
