"""Reading import runs and their reports."""

import csv
from typing import IO

from django.db.models import QuerySet

from saferhub.imports.models import ImportRun, MappingProfile, Rejection
from saferhub.partnerships.models import Organisation

REPORT_COLUMNS = ("row", "source reference", "field", "reason", "value")
# A cell starting with one of these is a formula to a spreadsheet; partners' values are data.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def runs_of_organisation(organisation: Organisation, limit: int = 50) -> list[ImportRun]:
    """The organisation's import runs, newest first."""
    return list(
        ImportRun.objects.filter(organisation=organisation).select_related(
            "profile", "partnership", "started_by"
        )[:limit]
    )


def _safe(text: str) -> str:
    """The text as a spreadsheet shows it, never run as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def rejections_write_csv(run: ImportRun, file_like: IO[str]) -> int:
    """Write the run's report of rejected rows as CSV (row, source reference, field, reason,
    value), in row order; returns the number of problems written."""
    writer = csv.writer(file_like)
    writer.writerow(REPORT_COLUMNS)
    count = 0
    rejections = run.rejections.order_by("row_number", "pk").values_list(
        "row_number", "source_ref", "field", "reason", "value"
    )
    for row, reference, field, reason, value in rejections.iterator(chunk_size=5000):
        writer.writerow([row, _safe(reference), _safe(field), _safe(reason), _safe(value)])
        count += 1
    return count


def run_of_organisation(organisation: Organisation, run_id: int) -> ImportRun | None:
    """One of the organisation's runs; None for another organisation's (or no) run."""
    return (
        ImportRun.objects.filter(organisation=organisation, pk=run_id)
        .select_related("profile", "partnership", "started_by")
        .first()
    )


def rejections_of_run(run: ImportRun) -> QuerySet[Rejection]:
    """The run's rejected rows, in row order."""
    return run.rejections.order_by("row_number", "pk")


def profiles_of_organisation(organisation: Organisation) -> list[MappingProfile]:
    """The organisation's mapping profiles, by name."""
    return list(MappingProfile.objects.filter(organisation=organisation).order_by("name"))
