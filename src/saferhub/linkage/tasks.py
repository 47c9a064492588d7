"""Linking in the background, through Django's task interface (settings.TASKS), as imports
are (saferhub.imports.tasks): a bulk run takes seconds to minutes, never a web request's time.
"""

import logging

from django_tasks import task

from saferhub.linkage.linking import link_bulk
from saferhub.partnerships.models import Partnership, User

logger = logging.getLogger(__name__)


@task(queue_name="linkage")
def link_in_background(partnership_id: int, kind: str, user_id: int | None) -> dict:
    """Link a partnership's records of `kind` ("person" or "place"); returns the run's counts."""
    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None:
        return {"status": "missing"}
    user = User.objects.filter(pk=user_id).first() if user_id else None
    result = link_bulk(partnership=partnership, kind=kind, user=user)
    logger.info("Linked %s of %s: %s", kind, partnership.code, result)
    return {"status": "finished", **result.__dict__}
