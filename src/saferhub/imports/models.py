"""Imports from partners' own systems: mapping profiles, import runs and rejected rows."""

from django.conf import settings
from django.db import models

from saferhub.partnerships.models import Organisation


class RecordKind(models.TextChoices):
    INCIDENTS = "incidents", "Incidents"
    PEOPLE = "people", "People"
    PLACES = "places", "Places"


class MappingProfile(models.Model):
    """How one organisation's export of one kind reads: which column is which field, its code
    lists, date formats and default themes. `spec` holds the profile as validated by
    saferhub.imports.profiles.ProfileSpec; the YAML file and the page both write it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mapping_profiles"
    )
    name = models.SlugField(max_length=60)
    kind = models.CharField(max_length=10, choices=RecordKind.choices)
    description = models.CharField(max_length=300, blank=True)
    spec = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="profile_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    FINISHED = "finished", "Finished"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


class ImportRun(models.Model):
    """One import of one file (or one API push): what it read, wrote and rejected."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=RecordKind.choices)
    profile = models.ForeignKey(
        MappingProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    # The partnership incidents are recorded in (an organisation may belong to several).
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file_name = models.CharField(max_length=255)
    # Where the uploaded file is kept while a background task imports it.
    stored_path = models.CharField(max_length=500, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dry_run = models.BooleanField(default=False)
    strict = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    # Why a whole file was refused or a run failed, in words for the user.
    message = models.TextField(blank=True)
    # Progress while running: bytes of the file read out of its size (rows are not known
    # until the end), and the counts so far.
    bytes_read = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_inserted = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life, so that a run whose worker was killed can be seen as stalled.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="runs_newest")]

    def __str__(self) -> str:
        return f"Import run {self.pk} ({self.kind}, {self.file_name})"


class Rejection(models.Model):
    """One problem with one row: the row is not imported, and the report lists why."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejections")
    # The row as a spreadsheet numbers it: the heading row is 1, the first data row 2.
    row_number = models.PositiveIntegerField()
    source_ref = models.CharField(max_length=100, blank=True)
    # The column heading in the partner's file (or the API field name).
    field = models.CharField(max_length=200)
    reason = models.CharField(max_length=500)
    # The value as given, cut short; shown only to the importing organisation.
    value = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["row_number", "pk"]
        indexes = [models.Index(fields=["run", "row_number"], name="rejections_of_run")]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.field}: {self.reason}"
