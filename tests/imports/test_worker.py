"""The background worker: an import queued in the database is run by `saferhub worker`.

No timing: the worker runs in batch mode, in this process, and stops when the queue is empty.
The database backend needs committed rows (the worker takes each task in a transaction of its
own), hence a transactional test. It needs no partnership, so that it leaves the database as
other transactional tests do (serialized rollback after them fails on content types).
"""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from saferhub.imports.models import MappingProfile, RunStatus
from saferhub.imports.profiles import profiles_apply
from saferhub.imports.tasks import import_upload_start
from saferhub.partnerships.models import Organisation, User

DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": settings.TASKS["default"]["QUEUES"],
    }
}
PROFILE = """
profiles:
  - organisation: fife-council-asb
    name: council-places
    kind: places
    columns: {source_ref: Property Ref, address_line_1: Address 1, town: Town, postcode: Postcode}
"""


@pytest.fixture
def council_places(transactional_db) -> MappingProfile:
    Organisation.objects.create(
        code="fife-council-asb", name="Fife Council", kind="local_authority"
    )
    return profiles_apply(text=PROFILE, source="test")[0]


def test_the_worker_runs_an_import_queued_in_the_database(council_places, settings, tmp_path):
    settings.IMPORT_DIR = tmp_path
    upload = SimpleUploadedFile(
        "properties.csv", b"Property Ref,Address 1,Town,Postcode\nH1,1 High Street,Leven,KY8 4AA\n"
    )
    with override_settings(TASKS=DATABASE_TASKS):
        run = import_upload_start(
            organisation=council_places.organisation,
            user=User.objects.create_user("someone"),
            partnership=None,
            upload=upload,
            kind="places",
            profile=council_places,
        )
        run.refresh_from_db()
        assert run.status == RunStatus.QUEUED
        assert DBTaskResult.objects.get().status == "READY"

        call_command("worker", "--batch", verbosity=0)

    run.refresh_from_db()
    assert (run.status, run.rows_inserted) == (RunStatus.FINISHED, 1), run.message
    # (The worker also schedules the morning briefings: other tasks are in the queue.)
    assert DBTaskResult.objects.get(task_path__contains="import").status == "SUCCESSFUL"
    assert not any(tmp_path.rglob("*.csv"))


def test_the_worker_refuses_to_start_when_tasks_run_in_the_request():
    with pytest.raises(CommandError, match="TASKS_BACKEND is immediate"):
        call_command("worker", "--batch")
