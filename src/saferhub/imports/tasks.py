"""Imports in the background, through Django's task interface (settings.TASKS).

With TASKS_BACKEND=database the task waits in the database for `saferhub worker`; with
TASKS_BACKEND=immediate it runs at once, inside the request that queued it.
"""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from saferhub.imports.models import ImportRun, MappingProfile, RunStatus
from saferhub.imports.services import ImportInvalid, import_run_create, import_run_execute
from saferhub.partnerships.models import Organisation, Partnership, User

logger = logging.getLogger(__name__)


@task(queue_name="imports")
def import_run_in_background(run_id: int) -> str:
    """Import a queued run's file; returns the run's status when done."""
    run = ImportRun.objects.filter(pk=run_id).first()
    # A run that is gone, or that another worker already took, is left alone: a task can be
    # handed out twice (a worker killed just after claiming it, say).
    if run is None:
        return "missing"
    if run.status != RunStatus.QUEUED:
        return run.status
    try:
        run = import_run_execute(run)
    except Exception:
        # Not a refusal the import foresaw: end the run as failed, so that its page says so
        # (rather than showing it stalled for ever), and let the task fail with the error.
        logger.exception("Import run %s stopped on an unexpected error", run_id)
        ImportRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            message="The import stopped on an unexpected error (the hub's log has the details). "
            "The rows before it were imported; running it again finishes the job if the error "
            "does not come back.",
        )
        raise
    # The file holds partners' personal data: kept no longer than needed. A failed run keeps
    # it, so that it can be run again from its page.
    if run.status in (RunStatus.FINISHED, RunStatus.REFUSED):
        _forget_upload(run)
    return run.status


def _uploaded_file(run: ImportRun) -> Path | None:
    """The run's file if it is an upload the hub keeps (under IMPORT_DIR) and still there;
    never a file of the user's own (`saferhub import` reads files where they are)."""
    if not run.stored_path:
        return None
    path = Path(run.stored_path).resolve()
    if not path.is_relative_to(Path(settings.IMPORT_DIR).resolve()) or not path.is_file():
        return None
    return path


def _forget_upload(run: ImportRun) -> None:
    path = _uploaded_file(run)
    if path is not None:
        path.unlink(missing_ok=True)


def upload_kept(run: ImportRun) -> bool:
    """Whether the run's uploaded file is still kept, so that the run can be run again."""
    return _uploaded_file(run) is not None


def import_run_enqueue(run: ImportRun) -> None:
    """Queue the run for a worker once the transaction that made it commits (before that, a
    worker might look for the run and not find it)."""
    run_id = run.pk
    transaction.on_commit(lambda: import_run_in_background.enqueue(run_id))


def upload_store(upload: UploadedFile, organisation: Organisation) -> Path:
    """Keep an uploaded file under IMPORT_DIR until its import has run; a name of its own, so
    that two uploads of one file name never meet."""
    folder = Path(settings.IMPORT_DIR) / organisation.code
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:12]}{Path(upload.name).suffix.lower()}"
    with path.open("wb") as kept:
        for chunk in upload.chunks():
            kept.write(chunk)
    return path


def import_upload_start(
    *,
    organisation: Organisation,
    user: User,
    partnership: Partnership | None,
    upload: UploadedFile,
    kind: str,
    profile: MappingProfile,
    dry_run: bool = False,
    strict: bool = False,
) -> ImportRun:
    """Keep an uploaded file, make its import run and queue the run for a worker."""
    path = upload_store(upload, organisation)
    try:
        with transaction.atomic():
            run = import_run_create(
                organisation=organisation,
                kind=kind,
                profile=profile,
                file_name=Path(upload.name).name[:255],
                stored_path=str(path),
                user=user,
                partnership=partnership,
                dry_run=dry_run,
                strict=strict,
            )
            import_run_enqueue(run)
    except ImportInvalid:
        path.unlink(missing_ok=True)
        raise
    return run


def import_run_again(*, run: ImportRun, user: User) -> ImportRun:
    """Import a stalled or failed run's file again, as a new run (a stalled run is marked
    failed). Importing is idempotent by source reference: rows the first run wrote stay as
    they are, and the rest are imported."""
    with transaction.atomic():
        again = import_run_create(
            organisation=run.organisation,
            kind=run.kind,
            profile=run.profile,
            file_name=run.file_name,
            stored_path=run.stored_path,
            user=user,
            partnership=run.partnership,
            dry_run=run.dry_run,
            strict=run.strict,
        )
        ImportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            message=f"It stopped making progress and was run again as import {again.pk}.",
        )
        import_run_enqueue(again)
    return again
