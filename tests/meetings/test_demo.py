"""The demo's meetings: two held, one to come, the second carrying the first's actions."""

import datetime

import pytest
from django.utils import timezone

from saferhub.demo.meetings import demo_meetings_load
from saferhub.meetings.models import Meeting

from .conftest import place_record, record

pytestmark = pytest.mark.django_db


def test_the_demo_makes_three_meetings_once(fife, coordinator, staff):
    flat = place_record("police-fife")
    # Two in the period of each meeting.
    for days_ago in (40, 38, 20, 18, 5, 4):
        record(
            staff["police-fife"],
            place_record_id=flat.pk,
            occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
        )

    assert demo_meetings_load(partnership=fife, seed=7, now=timezone.now()) == 3
    assert demo_meetings_load(partnership=fife, seed=7, now=timezone.now()) == 0

    first, second, upcoming = Meeting.objects.order_by("starts_at")
    assert [m.status for m in (first, second, upcoming)] == ["closed", "closed", "scheduled"]
    for held in (first, second):
        assert held.minutes and held.attendance.exists()
        assert held.items.filter(proposed=False).count() == 1
        assert held.items.filter(proposed=True).exists()
    carried = set(second.items.filter(kind="carried_action").values_list("record_id", flat=True))
    assert carried and carried == set(first.actions.values_list("pk", flat=True))
    assert upcoming.items.filter(proposed=True).exists()


def test_the_demo_makes_nothing_without_a_coordinator(fife):
    from saferhub.partnerships.models import RoleAssignment

    RoleAssignment.objects.filter(role="coordinator").delete()
    assert demo_meetings_load(partnership=fife, seed=7, now=timezone.now()) == 0
