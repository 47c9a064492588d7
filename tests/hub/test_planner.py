"""Planner statistics are refreshed after bulk writes on PostgreSQL, and only then."""

import pytest
from django.db import connection

from saferhub.hub.planner import BULK_ROWS, planner_statistics_refresh
from saferhub.people.models import PersonAddress


def _last_analysed() -> object:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s",
            [PersonAddress._meta.db_table],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_bulk_write_refreshes_the_statistics_of_its_tables():
    if connection.vendor != "postgresql":
        # SQLite keeps no statistics unless asked: nothing is done, and the function says so.
        assert planner_statistics_refresh([PersonAddress], BULK_ROWS) is False
        return
    before = _last_analysed()

    assert planner_statistics_refresh([PersonAddress], BULK_ROWS - 1) is False
    assert _last_analysed() == before
    assert planner_statistics_refresh([PersonAddress], BULK_ROWS) is True
    assert _last_analysed() is not None and _last_analysed() != before
