"""What the import pages show, so that templates hold no logic."""

import datetime
from dataclasses import dataclass

from saferhub.imports.models import ImportRun, MappingProfile, RunStatus
from saferhub.imports.profiles import profile_spec_of

# A running import touches its heartbeat every few seconds; silence this long means its
# worker is gone (killed, or the machine restarted) and the run will not finish by itself.
STALLED_AFTER = datetime.timedelta(minutes=3)
# A run still waiting after this long suggests no worker is running.
WAITING_TOO_LONG = datetime.timedelta(minutes=1)
ENDED = frozenset({RunStatus.FINISHED, RunStatus.REFUSED, RunStatus.FAILED})

STATUS_TAG = {
    RunStatus.QUEUED: "ds_tag--grey",
    RunStatus.RUNNING: "ds_tag--blue",
    RunStatus.FINISHED: "ds_tag--green",
    RunStatus.REFUSED: "ds_tag--red",
    RunStatus.FAILED: "ds_tag--red",
}


def run_is_stalled(run: ImportRun, now: datetime.datetime) -> bool:
    """A run that says it is running but has shown no sign of life for a while."""
    if run.status != RunStatus.RUNNING:
        return False
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    return last_sign < now - STALLED_AFTER


def _status(run: ImportRun, now: datetime.datetime) -> tuple[str, str]:
    if run_is_stalled(run, now):
        return "Stalled", "ds_tag--orange"
    return RunStatus(run.status).label, STATUS_TAG[run.status]


def counts_in_words(run: ImportRun) -> str:
    if run.status == RunStatus.QUEUED:
        return ""
    would = "would be " if run.dry_run else ""
    return (
        f"{run.rows_read:,} read: {run.rows_inserted:,} {would}added, "
        f"{run.rows_updated:,} {would}updated, {run.rows_unchanged:,} unchanged, "
        f"{run.rows_rejected:,} rejected"
    )


@dataclass
class RunRow:
    id: int
    file_name: str
    kind: str
    profile: str
    status: str
    status_tag: str
    dry_run: bool
    counts: str
    created_at: datetime.datetime
    started_by: str


def run_rows(runs: list[ImportRun], now: datetime.datetime) -> list[RunRow]:
    rows = []
    for run in runs:
        status, tag = _status(run, now)
        rows.append(
            RunRow(
                id=run.pk,
                file_name=run.file_name,
                kind=run.get_kind_display(),
                profile=run.profile.name if run.profile else "None",
                status=status,
                status_tag=tag,
                dry_run=run.dry_run,
                counts=counts_in_words(run),
                created_at=run.created_at,
                started_by=run.started_by.get_full_name() if run.started_by else "",
            )
        )
    return rows


def duration_in_words(seconds: float) -> str:
    """Roughly, as a person would say it: 'less than a minute', 'about 4 minutes'."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"about {hours} hours"


def run_can_be_run_again(run: ImportRun, now: datetime.datetime, *, file_kept: bool) -> bool:
    """A stalled or failed run can be run again from its page while its upload is kept."""
    return file_kept and (run.status == RunStatus.FAILED or run_is_stalled(run, now))


def run_progress(run: ImportRun, now: datetime.datetime, *, file_kept: bool = False) -> dict:
    """The run's progress for its page: whether it has ended (the page stops polling then),
    the share of the file read, the rows so far, their rate and the time left."""
    status, tag = _status(run, now)
    ended = run.status in ENDED
    stalled = run_is_stalled(run, now)
    percent = 0
    if run.status == RunStatus.FINISHED:
        percent = 100
    elif run.bytes_total:
        percent = min(100, int(100 * run.bytes_read / run.bytes_total))
    rate = time_left = ""
    if run.status == RunStatus.RUNNING and run.started_at and not stalled:
        elapsed = (now - run.started_at).total_seconds()
        if elapsed >= 1 and run.rows_read:
            rate = f"{run.rows_read / elapsed:,.0f} rows a second"
        if elapsed >= 1 and 0 < run.bytes_read < run.bytes_total:
            left = elapsed * (run.bytes_total - run.bytes_read) / run.bytes_read
            time_left = duration_in_words(left)
    return {
        "status": status,
        "status_tag": tag,
        "ended": ended,
        "stalled": stalled,
        "polling": not ended and not stalled,
        "waiting_too_long": run.status == RunStatus.QUEUED
        and run.created_at < now - WAITING_TOO_LONG,
        "percent": percent,
        "rows_read": f"{run.rows_read:,}",
        "rate": rate,
        "time_left": time_left,
        "counts": counts_in_words(run),
        "finished": run.status == RunStatus.FINISHED,
        "message": run.message,
        "can_run_again": run_can_be_run_again(run, now, file_kept=file_kept),
    }


@dataclass
class ProfileRow:
    name: str
    kind: str
    description: str
    columns: str
    updated_at: datetime.datetime
    updated_by: str


def profile_rows(profiles: list[MappingProfile]) -> list[ProfileRow]:
    rows = []
    for profile in profiles:
        read = len(profile_spec_of(profile).headings())
        rows.append(
            ProfileRow(
                name=profile.name,
                kind=profile.get_kind_display(),
                description=profile.description,
                columns=f"{read} column{'s' if read != 1 else ''}",
                updated_at=profile.updated_at,
                updated_by=profile.updated_by.get_full_name() if profile.updated_by else "",
            )
        )
    return rows
