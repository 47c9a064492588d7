"""Keeping PostgreSQL's planner statistics fresh after bulk writes.

PostgreSQL picks an index or a full scan from statistics that autovacuum refreshes only some
while after a table changes. Straight after an import of a hundred thousand rows, or a first
linking run, it still plans as if the tables were nearly empty: matching one new person then
scanned every address (25 ms at 100,000 people instead of well under 1 ms). Whoever made the
bulk change refreshes the statistics of the tables it touched.
"""

from django.db import connection
from django.db.models import Model

# Below this many rows written, autovacuum's own pace is good enough.
BULK_ROWS = 10_000


def planner_statistics_refresh(models: list[type[Model]], rows_written: int) -> bool:
    """ANALYZE the tables of `models` on PostgreSQL when `rows_written` is a bulk change;
    returns whether it did (SQLite keeps no such statistics unless asked, and plans well)."""
    if connection.vendor != "postgresql" or rows_written < BULK_ROWS:
        return False
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return True
