"""The morning schedule makes each partnership's briefing once, when its time has come."""

import datetime
from zoneinfo import ZoneInfo

from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from saferhub.briefings.models import Briefing, BriefingSettings, MadeBy
from saferhub.briefings.tasks import (
    briefings_due,
    briefings_make_due,
    briefings_schedule_ensure,
    next_run,
)

LONDON = ZoneInfo("Europe/London")
DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "briefings"],
    }
}


def _london(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def test_nothing_is_made_before_the_time(fife):
    assert briefings_due(_london(2026, 6, 17, 6, 59)) == 0
    assert not Briefing.objects.exists()


def test_todays_briefing_is_made_once_after_the_time(fife):
    assert briefings_due(_london(2026, 6, 17, 7, 0)) == 1
    assert briefings_due(_london(2026, 6, 17, 9, 30)) == 0

    made = Briefing.objects.get()
    assert (made.for_date, made.made_by, made.area) == (
        datetime.date(2026, 6, 17),
        MadeBy.SCHEDULE,
        "",
    )


def test_each_partnership_has_its_own_time(fife):
    BriefingSettings.objects.create(partnership=fife, generate_at=datetime.time(8, 15))

    assert briefings_due(_london(2026, 6, 17, 8, 0)) == 0
    assert briefings_due(_london(2026, 6, 17, 8, 15)) == 1


def test_no_weekend_briefing_when_mondays_cover_the_weekend(fife):
    assert briefings_due(_london(2026, 6, 20, 9, 0)) == 0  # a Saturday
    BriefingSettings.objects.create(partnership=fife, monday_covers_weekend=False)
    assert briefings_due(_london(2026, 6, 20, 9, 0)) == 1


def test_the_next_run_is_the_next_time_to_come(fife):
    assert next_run(_london(2026, 6, 17, 6, 0)) == _london(2026, 6, 17, 7, 0)
    # After today's time: tomorrow's, but never more than six hours away.
    assert next_run(_london(2026, 6, 17, 7, 0)) == _london(2026, 6, 17, 13, 0)
    assert next_run(_london(2026, 6, 18, 2, 0)) == _london(2026, 6, 18, 7, 0)


def test_the_task_makes_todays_briefing_when_run(fife):
    # The test settings run tasks at once (TASKS_BACKEND=immediate), as they are enqueued.
    result = briefings_make_due.enqueue()

    assert result.return_value["made"] == (1 if _due_now() else 0)
    assert Briefing.objects.filter(for_date=timezone.localdate()).count() == (
        1 if _due_now() else 0
    )
    # Nothing can wait for later here, so it does not queue itself again.
    assert result.return_value["next_run"] is None


def _due_now() -> bool:
    now = timezone.localtime()
    return now.time() >= datetime.time(7, 0) and now.weekday() < 5


def test_scheduling_twice_queues_one_run(fife):
    with override_settings(TASKS=DATABASE_TASKS):
        first = briefings_schedule_ensure()
        second = briefings_schedule_ensure()

    assert "are scheduled" in first
    assert "already scheduled" in second
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_a_run_queues_the_next_and_only_one(fife):
    with override_settings(TASKS=DATABASE_TASKS):
        briefings_schedule_ensure()
        # The worker takes the waiting run...
        DBTaskResult.objects.update(status="RUNNING")
        expected = next_run()
        outcome = briefings_make_due.call()
        # ...and a second copy running at the same time queues nothing more.
        briefings_make_due.call()

    waiting = DBTaskResult.objects.get(status="READY")
    assert abs(waiting.run_after - expected) < datetime.timedelta(seconds=5)
    assert outcome["next_run"] is not None
    assert Briefing.objects.count() == (1 if _due_now() else 0)


def test_with_tasks_run_at_once_scheduling_says_how_to_use_a_worker(fife):
    message = briefings_schedule_ensure()

    assert "TASKS_BACKEND=database" in message
