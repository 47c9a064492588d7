"""Linking in the background, through Django's task interface (settings.TASKS), as imports
are (saferhub.imports.tasks): a bulk run takes seconds to minutes, never a web request's time.
The run's page follows its LinkageRun row, which the task keeps up to date.
"""

import logging

from django.db.models import F
from django.utils import timezone
from django_tasks import task

from saferhub.linkage.linking import link_bulk
from saferhub.linkage.models import LinkageRun

logger = logging.getLogger(__name__)


@task(queue_name="linkage")
def link_in_background(run_id: int) -> dict:
    """Carry out a queued linking run (saferhub.linkage.services.linkage_run_queue): link the
    partnership's records of the run's kind, reporting each step on the run; returns the
    run's counts. A run that fails is marked failed with the reason, and nothing it did is
    kept (link_bulk writes in one transaction)."""
    run = LinkageRun.objects.select_related("partnership", "started_by").filter(pk=run_id).first()
    if run is None or run.status != LinkageRun.Status.QUEUED:
        return {"status": "missing" if run is None else run.status}
    LinkageRun.objects.filter(pk=run.pk).update(
        status=LinkageRun.Status.RUNNING, started_at=timezone.now()
    )

    def progress(step: str, done: int, total: int) -> None:
        # An update, not save(): the run's row is outside link_bulk's transaction, so the
        # page sees each step as it starts.
        LinkageRun.objects.filter(pk=run.pk).update(step=step, steps_done=done, steps_total=total)

    try:
        result = link_bulk(
            partnership=run.partnership, kind=run.kind, user=run.started_by, on_progress=progress
        )
    except Exception as exc:  # the page must say the run failed, whatever the reason
        logger.exception("Linking run %s failed", run.pk)
        LinkageRun.objects.filter(pk=run.pk).update(
            status=LinkageRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"The run stopped with an error, and nothing it did was kept: {exc}",
        )
        return {"status": "failed"}
    outcome = dict(result.__dict__)
    LinkageRun.objects.filter(pk=run.pk).update(
        status=LinkageRun.Status.FINISHED,
        finished_at=timezone.now(),
        steps_done=F("steps_total"),
        outcome=outcome,
    )
    logger.info("Linked %s of %s: %s", run.kind, run.partnership.code, result)
    return {"status": "finished", **outcome}
