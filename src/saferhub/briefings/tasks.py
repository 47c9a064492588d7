"""The morning briefings, made in the background through Django's task interface.

`briefings_make_due` makes today's briefing of every partnership whose generate_at has passed
(making is idempotent, so a second run the same day makes nothing), then queues itself for
the next partnership's next generate_at. `briefings_schedule_ensure` starts that chain when
no run is waiting; `saferhub briefing schedule` calls it, and it is safe to call any number
of times. The chain needs a backend that can run a task later (TASKS_BACKEND=database with
`saferhub worker`); with the immediate backend the task runs once, at once, and stops.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from saferhub.briefings.models import Briefing, BriefingSettings, MadeBy
from saferhub.briefings.services import _local, briefing_make
from saferhub.partnerships.models import Partnership

logger = logging.getLogger(__name__)

# Also look again within this long, so that a changed generate_at is picked up.
LONGEST_WAIT = datetime.timedelta(hours=6)


def _settings(partnership_ids) -> dict[int, BriefingSettings]:
    found = {
        s.partnership_id: s
        for s in BriefingSettings.objects.filter(partnership_id__in=partnership_ids)
    }
    return {pk: found.get(pk) or BriefingSettings(partnership_id=pk) for pk in partnership_ids}


def _generate_at(partnership_ids) -> dict[int, datetime.time]:
    return {pk: s.generate_at for pk, s in _settings(partnership_ids).items()}


def briefings_due(now: datetime.datetime | None = None) -> int:
    """Make today's whole-partnership briefing of every partnership whose generate_at has
    passed and that has none yet; returns how many were made. A partnership whose Monday
    briefing covers the weekend gets none on Saturday or Sunday."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    partnerships = list(Partnership.objects.all())
    settings = _settings([p.pk for p in partnerships])
    made = 0
    for partnership in partnerships:
        these = settings[partnership.pk]
        if these.monday_covers_weekend and today.weekday() >= 5:
            continue
        if _local(today, these.generate_at) > now:
            continue
        if Briefing.objects.filter(partnership=partnership, for_date=today, area="").exists():
            continue
        briefing_make(partnership=partnership, for_date=today, made_by=MadeBy.SCHEDULE)
        made += 1
        logger.info("Made the briefing of %s for %s", partnership.code, today)
    return made


def next_run(now: datetime.datetime | None = None) -> datetime.datetime:
    """When the schedule should next look: the earliest generate_at still to come (today's
    or tomorrow's) of any partnership, and never more than LONGEST_WAIT away."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    times = set(_generate_at(list(Partnership.objects.values_list("pk", flat=True))).values())
    times = times or {BriefingSettings._meta.get_field("generate_at").default}
    candidates = [
        _local(day, at)
        for at in times
        for day in (today, today + datetime.timedelta(days=1))
        if _local(day, at) > now
    ]
    return min([*candidates, now + LONGEST_WAIT])


@task(queue_name="briefings")
def briefings_make_due() -> dict:
    """Make the briefings that are due, then queue the next run."""
    made = briefings_due()
    queued = _queue_next()
    return {"made": made, "next_run": queued.isoformat() if queued else None}


def _waiting_runs():
    """Runs of the schedule queued in the database and not yet started."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=briefings_make_due.module_path, status="READY")


def _can_wait() -> bool:
    return briefings_make_due.get_backend().supports_defer


def _queue_next() -> datetime.datetime | None:
    if not _can_wait():
        return None
    with transaction.atomic():
        # Only one waiting run: a run started by hand, or a second worker, adds no second chain.
        if _waiting_runs().select_for_update().exists():
            return None
        when = next_run()
        briefings_make_due.using(run_after=when).enqueue()
    return when


def briefings_schedule_ensure() -> str:
    """Make sure the morning schedule is running; says what it did. Safe to run twice."""
    if not _can_wait():
        made = briefings_due()
        return (
            "Background tasks run at once here (TASKS_BACKEND=immediate), so nothing can be "
            f"scheduled for later: made {made} briefing{'s' if made != 1 else ''} due now. Set "
            "TASKS_BACKEND=database and run `saferhub worker` for the morning schedule."
        )
    if _waiting_runs().exists():
        return "The morning briefings are already scheduled."
    briefings_make_due.enqueue()
    return (
        "The morning briefings are scheduled: the worker makes any due now, then each "
        "partnership's at its time every morning."
    )
