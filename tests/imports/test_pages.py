"""The import pages: upload a file, follow its run to the report, and manage the profiles.

The test settings run background tasks at once (TASKS_BACKEND=immediate), so an upload's import
has finished by the time the page that follows it loads.
"""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from saferhub.audit.models import AuditEvent
from saferhub.imports.models import ImportRun, MappingProfile, RunStatus
from saferhub.imports.profiles import profiles_apply
from saferhub.imports.services import import_run_create
from saferhub.incidents.models import Incident
from saferhub.partnerships.models import User
from tests.conftest import add_user, log_in
from tests.imports.conftest import incident_row, organisation

pytestmark = pytest.mark.django_db

IMPORTS = "/partnerships/fife/imports/"


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


def person(username: str, code: str, roles: list[str]) -> User:
    from saferhub.partnerships.models import Partnership

    return add_user(
        username,
        partnership=Partnership.objects.get(code="fife"),
        organisation=organisation(code),
        roles=roles,
    )


def client_for(user: User) -> Client:
    client = Client()
    log_in(client, user)
    return client


@pytest.fixture
def coordinator(profiles) -> Client:
    """A police coordinator in Fife, whose organisation has the police-occurrences profile."""
    return client_for(person("coord.police", "police-fife", ["coordinator"]))


def csv_upload(rows: list[dict], name: str = "occurrences.csv") -> SimpleUploadedFile:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode(), content_type="text/csv")


def upload(client: Client, file, profiles, **changes):
    data = {
        "file": file,
        "kind": "incidents",
        "profile": profiles["police-occurrences"].pk,
        **changes,
    }
    return client.post(IMPORTS, {k: v for k, v in data.items() if v is not None})


def test_an_upload_is_imported_and_its_rejections_reported(
    coordinator, profiles, import_dir, django_capture_on_commit_callbacks
):
    rows = [incident_row(1), incident_row(2, Incident_Type="WHATEVER"), incident_row(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(coordinator, csv_upload(rows), profiles)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{IMPORTS}{run.pk}/"
    assert (run.status, run.rows_inserted, run.rows_rejected) == (RunStatus.FINISHED, 2, 1)
    assert Incident.objects.filter(partnership__code="fife").count() == 2
    # The upload is not kept once imported.
    assert not any(import_dir.rglob("*.csv"))

    page = coordinator.get(response["Location"]).content.decode()
    assert "Finished" in page
    assert 'hx-trigger="every 2s"' not in page
    assert "unknown code &#x27;WHATEVER&#x27;" in page
    assert "Download the full report (CSV)" in page

    report = coordinator.get(f"{IMPORTS}{run.pk}/rejections.csv")
    assert report["Content-Disposition"] == f'attachment; filename="import-{run.pk}-rejections.csv"'
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert lines[0] == ["row", "source reference", "field", "reason", "value"]
    assert lines[1][:3] == ["3", "PS/000002", "Incident Type"]
    event = AuditEvent.objects.get(action="export")
    assert event.detail["import_run"] == run.pk

    listing = coordinator.get(IMPORTS).content.decode()
    assert "occurrences.csv" in listing
    assert "3 read: 2 added, 0 updated, 0 unchanged, 1 rejected" in listing


def test_the_progress_polls_until_the_run_ends_and_a_stalled_run_can_run_again(
    coordinator, profiles, import_dir, django_capture_on_commit_callbacks
):
    kept = import_dir / "police-fife" / "kept.csv"
    kept.parent.mkdir(parents=True)
    kept.write_text("Occurrence Number\n")
    run = import_run_create(
        organisation=organisation("police-fife"),
        kind="incidents",
        profile=profiles["police-occurrences"],
        file_name="kept.csv",
        stored_path=str(kept),
    )
    progress = f"{IMPORTS}{run.pk}/progress/"
    waiting = coordinator.get(progress).content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    assert "waiting for the hub's background worker" in waiting

    now = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        started_at=now - datetime.timedelta(seconds=60),
        heartbeat_at=now,
        bytes_read=500,
        bytes_total=1000,
        rows_read=600,
    )
    running = coordinator.get(progress).content.decode()
    assert 'hx-trigger="every 2s"' in running
    assert '<progress id="run-progress-bar" max="100" value="50">' in running
    assert "50% of the file read: 600 rows so far, 10 rows a second. About 1 minute left." in (
        running
    )

    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=now - datetime.timedelta(minutes=10))
    stalled = coordinator.get(progress).content.decode()
    assert 'hx-trigger="every 2s"' not in stalled
    assert "Stalled" in stalled
    assert "Run the import again" in stalled

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(f"{IMPORTS}{run.pk}/again/")
    again = ImportRun.objects.exclude(pk=run.pk).get()
    assert response["Location"] == f"{IMPORTS}{again.pk}/"
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert f"run again as import {again.pk}" in run.message
    # The file has only headings, so the new run is refused, and says why.
    assert again.status == RunStatus.REFUSED
    assert again.stored_path == str(kept)


@pytest.mark.parametrize(
    ("file", "profile", "field", "message"),
    [
        (None, "police-occurrences", "file", "Choose a file to import"),
        (
            SimpleUploadedFile("notes.txt", b"hello"),
            "police-occurrences",
            "file",
            "The file must be a CSV file (.csv) or an Excel workbook (.xlsx)",
        ),
        (
            SimpleUploadedFile("book.xlsx", b"not a zip"),
            "police-occurrences",
            "file",
            "The file is not an Excel workbook",
        ),
        (
            SimpleUploadedFile("big.csv", b"x" * (1024 * 1024 + 1)),
            "police-occurrences",
            "file",
            "The file must be no bigger than 1 MB",
        ),
        (
            SimpleUploadedFile("a.csv", b"a\n1\n"),
            "nhs-people",
            "profile",
            "Choose one of your organisation&#x27;s mapping profiles",
        ),
        (
            SimpleUploadedFile("a.csv", b"a\n1\n"),
            "police-people",
            "profile",
            "The profile police-people reads people, not incidents",
        ),
    ],
)
def test_the_upload_form_refuses_what_it_cannot_import(
    coordinator, profiles, settings, file, profile, field, message
):
    settings.IMPORT_UPLOAD_MAX_MB = 1
    profiles_apply(
        text="profiles:\n  - {organisation: police-fife, name: police-people, kind: people,"
        " columns: {source_ref: Ref}}\n",
        source="test",
    )
    chosen = MappingProfile.objects.get(name=profile)
    response = upload(coordinator, file, profiles, profile=chosen.pk)
    page = response.content.decode()
    assert response.status_code == 422
    assert f'href="#id_{field}">{message}' in page
    assert not ImportRun.objects.exists()


def test_another_organisations_run_and_report_are_not_found(coordinator, profiles):
    theirs = import_run_create(
        organisation=organisation("nhs-fife"),
        kind="people",
        profile=profiles["nhs-people"],
        file_name="patients.csv",
        stored_path="",
    )
    for path in ("", "progress/", "rejections.csv"):
        assert coordinator.get(f"{IMPORTS}{theirs.pk}/{path}").status_code == 404
    assert coordinator.post(f"{IMPORTS}{theirs.pk}/again/").status_code == 404
    assert "patients.csv" not in coordinator.get(IMPORTS).content.decode()


def test_imports_are_for_coordinators_analysts_and_admins_and_profiles_for_fewer(profiles):
    analyst = client_for(person("analyst.police", "police-fife", ["analyst"]))
    assert analyst.get(IMPORTS).status_code == 200
    assert analyst.get(IMPORTS + "profiles/").status_code == 403
    for username in ("jo.smith", "sam.boyd"):  # a practitioner and a manager
        client = client_for(User.objects.get(username=username))
        response = client.get(IMPORTS)
        assert response.status_code == 403
        assert "Only coordinators, analysts and administrators can import" in (
            response.content.decode()
        )
        assert ">Imports</a>" not in client.get("/partnerships/fife/").content.decode()
    assert ">Imports</a>" in analyst.get("/partnerships/fife/").content.decode()


def test_the_profiles_page_shows_downloads_and_applies_the_yaml(coordinator, profiles):
    page = coordinator.get(IMPORTS + "profiles/").content.decode()
    assert "police-occurrences" in page
    assert "nhs-people" not in page
    download = coordinator.get(IMPORTS + "profiles.yaml")
    assert download["Content-Disposition"] == (
        'attachment; filename="mapping-profiles-police-fife.yaml"'
    )
    text = download.content.decode()
    assert text.startswith("profiles:")

    broken = text.replace("kind: incidents", "kind: lorries").replace(
        "narrative: Details", "colour: Details"
    )
    response = coordinator.post(IMPORTS + "profiles/", {"text": broken})
    page = response.content.decode()
    assert response.status_code == 422
    assert 'href="#id_text">profiles[0].kind:' in page
    assert MappingProfile.objects.get(name="police-occurrences").kind == "incidents"

    changed = text.replace("narrative: Details", "narrative: Free Text")
    upload = SimpleUploadedFile("profiles.yaml", changed.encode())
    response = coordinator.post(IMPORTS + "profiles/", {"file": upload})
    assert response.status_code == 302
    spec = MappingProfile.objects.get(name="police-occurrences").spec
    assert spec["columns"]["narrative"] == "Free Text"
