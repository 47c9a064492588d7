"""Importing partners' files and API pushes (docs/imports.md).

    run = import_run_create(organisation=..., kind="incidents", profile=..., file_name=...,
                            stored_path=...)
    import_run_execute(run, on_progress=...)

A run reads its file in batches (settings.IMPORT_BATCH_ROWS, 50,000 rows), checks each batch
at once, and writes each batch's good rows in one transaction of its own, together with the
batch's rejected rows and the run's counts. Every write is an upsert on (organisation, source
reference) that changes a record only when its fingerprint (a hash of what the row says)
differs, so importing the same file again changes nothing, and running an import again after
it was killed finishes with each row imported exactly once.
"""

import datetime
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from pydantic import ValidationError

from saferhub.hub.planner import planner_statistics_refresh
from saferhub.imports.checking import Checked, Checker, Context, Plan, Problem
from saferhub.imports.models import ImportRun, MappingProfile, RecordKind, Rejection, RunStatus
from saferhub.imports.profiles import (
    FIELDS_OF_KIND,
    PLACE_FIELDS,
    SLOT_FIELDS,
    ProfileSpec,
    identity_spec,
    profile_spec_of,
)
from saferhub.imports.reading import FileRefused, Source, open_source
from saferhub.imports.writing import Writer
from saferhub.incidents.models import Incident, IncidentPerson, IncidentRevision
from saferhub.linkage.linking import records_link_on_arrival
from saferhub.linkage.models import EntityKind
from saferhub.partnerships.models import Membership, Organisation, Partnership
from saferhub.partnerships.themes import ThemeBook
from saferhub.people.models import PersonAddress, PersonRecord, PersonRecordRevision
from saferhub.places.models import PlaceRecord, PlaceRecordRevision

logger = logging.getLogger(__name__)

BATCH_ROWS = 50_000


class ImportInvalid(Exception):
    """An import that cannot start (wrong profile, no partnership...); the message says why."""


@dataclass
class ItemResult:
    """What became of one item of an API push."""

    index: int
    source_ref: str
    # inserted, updated, unchanged or rejected
    outcome: str
    problems: list[dict] = field(default_factory=list)


def _batch_rows() -> int:
    return int(getattr(settings, "IMPORT_BATCH_ROWS", BATCH_ROWS))


def partnership_for_import(
    organisation: Organisation, partnership: Partnership | None
) -> Partnership:
    """The partnership incidents are recorded in: the one given (the organisation must be a
    member), else the organisation's only partnership."""
    memberships = Partnership.objects.filter(memberships__organisation=organisation)
    if partnership is not None:
        if not memberships.filter(pk=partnership.pk).exists():
            raise ImportInvalid(
                f"{organisation.code} is not a member of partnership {partnership.code}."
            )
        return partnership
    partnerships = list(memberships.order_by("code"))
    if not partnerships:
        raise ImportInvalid(
            f"{organisation.code} is not a member of any partnership, so its incidents have "
            "nowhere to be recorded."
        )
    if len(partnerships) > 1:
        codes = ", ".join(p.code for p in partnerships)
        raise ImportInvalid(
            f"{organisation.code} is a member of several partnerships ({codes}); say which "
            "one the incidents belong to (--partnership CODE)."
        )
    return partnerships[0]


def import_run_create(
    *,
    organisation: Organisation,
    kind: str,
    profile: MappingProfile | None,
    file_name: str,
    stored_path: str,
    user=None,
    partnership: Partnership | None = None,
    dry_run: bool = False,
    strict: bool = False,
) -> ImportRun:
    """A queued run of one file; ImportInvalid if it cannot be (a profile of another
    organisation or kind, an incident import with no partnership)."""
    if kind not in RecordKind.values:
        raise ImportInvalid(
            f"{kind!r} is not something the hub imports (incidents, people, places)."
        )
    if profile is not None:
        if profile.organisation_id != organisation.pk:
            raise ImportInvalid(
                f"Profile {profile.name} belongs to another organisation, not {organisation.code}."
            )
        if profile.kind != kind:
            raise ImportInvalid(
                f"Profile {profile.name} is for {profile.kind}, not {kind}; choose a profile of "
                f"{kind}."
            )
    if kind == RecordKind.INCIDENTS:
        partnership = partnership_for_import(organisation, partnership)
    path = Path(stored_path) if stored_path else None
    size = path.stat().st_size if path and path.is_file() else 0
    return ImportRun.objects.create(
        organisation=organisation,
        kind=kind,
        profile=profile,
        partnership=partnership if kind == RecordKind.INCIDENTS else None,
        file_name=file_name[:255],
        stored_path=stored_path,
        started_by=user,
        dry_run=dry_run,
        strict=strict,
        bytes_total=size,
    )


def _context(run: ImportRun, spec: ProfileSpec) -> Context:
    context = Context(
        kind=run.kind,
        organisation_id=run.organisation_id,
        now=timezone.now(),
        postgres=connection.vendor == "postgresql",
    )
    if run.kind != RecordKind.INCIDENTS:
        return context
    partnership = run.partnership
    if partnership is None:
        raise ImportInvalid("An import of incidents needs the partnership they belong to.")
    book = ThemeBook.of(partnership)
    wanted = list(spec.default_themes)
    if spec.themes:
        wanted += [code for codes in spec.themes.codes.values() for code in codes]
    unknown = sorted({code for code in wanted if code not in book.by_code})
    if unknown:
        raise ImportInvalid(
            f"Profile {spec.name} names theme(s) {', '.join(unknown)}, which partnership "
            f"{partnership.code} does not have."
        )
    context.partnership_code = partnership.code
    context.theme_bits = {code: theme.bit for code, theme in book.by_code.items()}
    context.members = dict(
        Membership.objects.filter(partnership=partnership).values_list(
            "organisation__code", "organisation_id"
        )
    )
    return context


def _required_missing(spec: ProfileSpec, headings: list[str]) -> str | None:
    missing = {h: f for h, f in spec.required_headings().items() if h not in headings}
    if not missing:
        return None
    columns = " or ".join(f"{h!r} ({f})" for h, f in missing.items())
    shown = ", ".join(repr(h) for h in headings if h)
    return (
        f"The file has no column {columns}, which profile {spec.name} needs; its headings are "
        f"{shown}."
    )


def _used_headings(plan: Plan, headings: list[str]) -> list[str]:
    used = [i.heading for i in plan.all_items() if i.heading]
    if plan.themes_heading:
        used.append(plan.themes_heading)
    used += [slot.role_heading for slot in plan.slots if slot.role_heading]
    return [h for h in headings if h in set(used)]


def _checked_ahead(batches: Iterator[pa.Table], checker: Checker) -> Iterator[Checked]:
    """The batches, checked, each next one read and checked in a thread while the caller
    writes the one before: reading and checking run in this process (pyarrow and DuckDB let
    go of the GIL) while the database works on the write, so the two overlap.

    The checker reads reference data from the database only before the first batch, here in
    the caller's thread, so the thread never touches Django's connection."""
    checker.prepare()

    def check_next() -> Checked | None:
        batch = next(batches, None)
        return None if batch is None else checker.check(batch)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-check") as pool:
        pending = pool.submit(check_next)
        while (checked := pending.result()) is not None:
            pending = pool.submit(check_next)
            yield checked


class _Run:
    """One run being executed: the source, the checker and writer, the counts."""

    def __init__(self, run: ImportRun, on_progress):
        self.run = run
        self.on_progress = on_progress

    def progress(self, source: Source | None = None) -> None:
        run = self.run
        if source is not None:
            run.bytes_read = source.bytes_read
        run.heartbeat_at = timezone.now()
        run.save(
            update_fields=[
                "bytes_read",
                "rows_read",
                "rows_inserted",
                "rows_updated",
                "rows_unchanged",
                "rows_rejected",
                "heartbeat_at",
            ]
        )
        if self.on_progress:
            self.on_progress(run)

    def record(self, rows_read: int, problems: list[Problem]) -> None:
        """Count rows read and store the problems of the rejected ones."""
        run = self.run
        run.rows_read += rows_read
        run.rows_rejected += len({p.row for p in problems})
        Rejection.objects.bulk_create(
            [
                Rejection(
                    run=run,
                    row_number=p.row,
                    source_ref=p.source_ref[:100],
                    field=p.field[:200],
                    reason=p.reason[:500],
                    value=p.value[:200],
                )
                for p in problems
            ],
            batch_size=2000,
        )

    def misshapen(self, source: Source) -> list[Problem]:
        return [
            Problem(
                row=number,
                field="(the whole row)",
                reason=f"has {actual} cells, but the heading row has {expected}",
                value=text[:200],
            )
            for number, actual, expected, text in getattr(source, "misshapen", [])
        ]

    def execute(self) -> None:
        run = self.run
        if run.profile is None:
            raise ImportInvalid("The run has no mapping profile to read its file with.")
        try:
            spec = profile_spec_of(run.profile)
        except ValidationError:
            raise ImportInvalid(
                f"Profile {run.profile.name} is not valid as stored; apply its profile file again."
            ) from None
        context = _context(run, spec)
        source = open_source(Path(run.stored_path), spec.file)
        try:
            missing = _required_missing(spec, source.headings)
            if missing:
                raise FileRefused(missing)
            plan = Plan(spec, source.headings, context)
            source.scan()
            run.bytes_total = source.size
            if plan.missing:
                run.message = (
                    "The file has no column "
                    + ", ".join(repr(h) for h in plan.missing)
                    + f" that profile {spec.name} names; those values were left empty."
                )
                run.save(update_fields=["message", "bytes_total"])
            checker = Checker(plan)
            try:
                columns = _used_headings(plan, source.headings)
                if run.strict and not self._pass(source, checker, columns, write=False):
                    raise FileRefused(
                        f"{run.rows_rejected:,} row(s) have problems and the import was all or "
                        "nothing (strict), so nothing was imported; the report lists every "
                        "problem."
                    )
                if run.strict:
                    # Checked whole and clean: now the same rows again, written.
                    run.rows_read = run.rows_rejected = run.bytes_read = 0
                    checker.restart()
                self._pass(source, checker, columns, write=True, plan=plan)
            finally:
                checker.close()
        finally:
            source.close()

    def _pass(
        self,
        source: Source,
        checker: Checker,
        columns: list[str],
        *,
        write: bool,
        plan: Plan | None = None,
    ) -> bool:
        """Read the file once; True when no row was rejected."""
        run = self.run
        writer = None
        if write:
            writer = Writer(
                plan=plan,
                organisation_id=run.organisation_id,
                partnership_id=run.partnership_id,
                user_id=run.started_by_id,
                through=f"import run {run.pk}",
                now=checker.context.now,
            )
        clean = True
        misshapen = self.misshapen(source)
        if misshapen:
            clean = False
            with transaction.atomic():
                self.record(len(misshapen), misshapen)
                self.progress()
        for checked in _checked_ahead(source.batches(columns, _batch_rows()), checker):
            clean = clean and not checked.problems
            if writer is not None and run.dry_run:
                # A dry run writes each batch and rolls it back: the counts are exact.
                with transaction.atomic():
                    self.count(writer, checked)
                    transaction.set_rollback(True)
            with transaction.atomic():
                if writer is not None and not run.dry_run:
                    self.count(writer, checked)
                self.record(checked.rows_read, checked.problems)
                self.progress(source)
        return clean

    def count(self, writer: Writer, checked: Checked) -> None:
        written = writer.write(checked)
        self.run.rows_inserted += written.inserted
        self.run.rows_updated += written.updated
        self.run.rows_unchanged += written.unchanged


def import_run_execute(
    run: ImportRun, *, on_progress: Callable[[ImportRun], None] | None = None
) -> ImportRun:
    """Run a queued import to the end. A file that cannot be imported ends the run `refused`
    with its reason in `message`; an unexpected database error ends it `failed` (the batches
    before it stay imported; running the import again finishes the job)."""
    run.status = RunStatus.RUNNING
    run.started_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    try:
        _Run(run, on_progress).execute()
    except (FileRefused, ImportInvalid) as exc:
        run.status = RunStatus.REFUSED
        run.message = str(exc)
    except DatabaseError as exc:
        logger.exception("Import run %s failed", run.pk)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        run.status = RunStatus.FAILED
        run.message = (
            f"The database refused a batch ({first_line[:300]}); the rows before it were "
            "imported, and running the import again finishes the job."
        )
    except Exception:
        # A fault of the hub's, not of the file: the details go to the log, not the user.
        logger.exception("Import run %s failed", run.pk)
        run.status = RunStatus.FAILED
        run.message = (
            "The import stopped on an unexpected error (the hub's log has the details); the "
            "rows before it were imported."
        )
    else:
        run.status = RunStatus.FINISHED
        planner_statistics_refresh(WRITTEN_MODELS[run.kind], run.rows_inserted + run.rows_updated)
        _link_new_records(run)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at", "bytes_total"])
    if on_progress:
        on_progress(run)
    return run


# The tables an import of each kind writes to (an incidents file brings its people and
# places too), whose planner statistics a large import refreshes.
WRITTEN_MODELS = {
    RecordKind.INCIDENTS: [
        Incident,
        IncidentPerson,
        IncidentRevision,
        PersonRecord,
        PersonAddress,
        PlaceRecord,
    ],
    RecordKind.PEOPLE: [PersonRecord, PersonAddress, PersonRecordRevision],
    RecordKind.PLACES: [PlaceRecord, PlaceRecordRevision],
}

# Linking each new record on arrival takes milliseconds; past this many, a bulk run
# (`saferhub link`) is quicker and the run leaves them to it.
LINK_ON_ARRIVAL_LIMIT = 2000


def _link_new_records(run: ImportRun) -> None:
    """Link the person and place records the run created, as they would be when recorded on
    the web; too many are left to the next bulk run, and the run's message says so."""
    if run.dry_run or run.started_at is None:
        return
    new = {
        EntityKind.PERSON: PersonRecord.objects.filter(
            organisation_id=run.organisation_id, created_at__gte=run.started_at
        ),
        EntityKind.PLACE: PlaceRecord.objects.filter(
            organisation_id=run.organisation_id, created_at__gte=run.started_at
        ),
    }
    counts = {kind: records.count() for kind, records in new.items()}
    if sum(counts.values()) > LINK_ON_ARRIVAL_LIMIT:
        note = (
            f"The {sum(counts.values()):,} new people and places will be linked to the "
            "partnership's entities by the next linking run (saferhub link)."
        )
        run.message = f"{run.message} {note}".strip()
        return
    # One transaction (each record in a savepoint of its own): one commit, not one per record.
    try:
        with transaction.atomic():
            for kind, records in new.items():
                if counts[kind]:
                    records_link_on_arrival(
                        kind=kind, records=records.order_by("pk"), user=run.started_by
                    )
    except DatabaseError:
        # The import itself is done and kept: linking is the next bulk run's to finish.
        logger.exception("Linking the records of import run %s failed", run.pk)


# -- API push ----------------------------------------------------------------------------

_DATETIME_FIELDS = {"occurred_at", "reported_at"}


def _text(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(_text(name, v) for v in value)
    text = str(value)
    if name in _DATETIME_FIELDS and ("T" in text or "+" in text or text.endswith("Z")):
        # ISO 8601 with a time zone, as JSON clients send it: stored as the local time.
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            return text
        return _text(name, parsed)
    return text


def _flatten(kind: str, item: object) -> tuple[dict[str, str], list[dict]]:
    """An item as a row of text keyed by the identity profile's headings, and the problems of
    keys that are not fields."""
    if not isinstance(item, dict):
        return {}, [{"field": "(item)", "reason": "must be an object of fields"}]
    known = set(FIELDS_OF_KIND[RecordKind(kind)])
    if kind == RecordKind.INCIDENTS:
        known |= {"themes", "place", "people"}
    row: dict[str, str] = {}
    problems = []
    for key, value in item.items():
        if key not in known:
            problems.append({"field": key, "reason": f"is not a field of {kind}"})
        elif key == "place":
            if not isinstance(value, dict):
                problems.append({"field": key, "reason": "must be an object of place fields"})
                continue
            for name, part in value.items():
                if name not in PLACE_FIELDS:
                    problems.append({"field": f"place.{name}", "reason": "is not a place field"})
                else:
                    row[f"place.{name}"] = _text(name, part)
        elif key == "people":
            if not isinstance(value, list):
                problems.append({"field": key, "reason": "must be a list of people"})
                continue
            for index, person in enumerate(value):
                if not isinstance(person, dict):
                    problems.append({"field": f"people[{index}]", "reason": "must be an object"})
                    continue
                for name, part in person.items():
                    if name not in (*SLOT_FIELDS, "role"):
                        problems.append(
                            {"field": f"people[{index}].{name}", "reason": "is not a person field"}
                        )
                    else:
                        row[f"people[{index}].{name}"] = _text(name, part)
        else:
            row[key] = _text(key, value)
    return row, problems


@transaction.atomic
def items_import(
    *,
    organisation: Organisation,
    kind: str,
    items: list[dict],
    user=None,
    partnership: Partnership | None = None,
) -> tuple[ImportRun, list[ItemResult]]:
    """Import records pushed through the API, keyed by the hub's field names (an incident's
    place as `place: {...}`, its people as `people: [{role, source_ref, given_name, ...}]`,
    themes and relevant partners as lists). The same checks and writing as a file, in one
    transaction; each item's outcome is inserted, updated, unchanged or rejected."""
    run = import_run_create(
        organisation=organisation,
        kind=kind,
        profile=None,
        file_name="API push",
        stored_path="",
        user=user,
        partnership=partnership,
    )
    run.status = RunStatus.RUNNING
    run.started_at = run.heartbeat_at = timezone.now()
    spec = identity_spec(organisation=organisation.code, kind=kind)
    context = _context(run, spec)
    rows, item_problems = [], {}
    for index, item in enumerate(items):
        row, problems = _flatten(kind, item)
        rows.append(row)
        if problems:
            item_problems[index] = problems
    headings = sorted({key for row in rows for key in row})
    people = 1 + max(
        (int(h.split("]")[0][7:]) for h in headings if h.startswith("people[")), default=-1
    )
    plan = Plan(spec, headings, context)
    plan.add_identity_slots(people, set(headings))
    good = [i for i in range(len(rows)) if i not in item_problems]
    table = pa.table(
        {h: pa.array([rows[i].get(h, "") for i in good], type=pa.string()) for h in headings}
        | {"_row": pa.array([i + 1 for i in good], type=pa.int64())}
    )
    checker = Checker(plan)
    try:
        checked = checker.check(table)
        writer = Writer(
            plan=plan,
            organisation_id=organisation.pk,
            partnership_id=run.partnership_id,
            user_id=getattr(user, "pk", None),
            through=f"api (import run {run.pk})",
            now=context.now,
        )
        writer.outcomes = True
        written = writer.write(checked)
    finally:
        checker.close()
    by_row: dict[int, list[Problem]] = {}
    for problem in checked.problems:
        by_row.setdefault(problem.row, []).append(problem)
    results, stored = [], list(checked.problems)
    for index, row in enumerate(rows):
        reference = row.get("source_ref", "")
        if index in item_problems:
            problems = item_problems[index]
            stored += [
                Problem(index + 1, p["field"], p["reason"], source_ref=reference) for p in problems
            ]
        else:
            problems = [{"field": p.field, "reason": p.reason} for p in by_row.get(index + 1, [])]
        outcome = "rejected" if problems else written.outcomes.get(index + 1, "rejected")
        results.append(ItemResult(index, reference, outcome, problems))
    run.rows_read = len(rows)
    run.rows_inserted, run.rows_updated = written.inserted, written.updated
    run.rows_unchanged = written.unchanged
    _Run(run, None).record(0, stored)
    run.rows_rejected = sum(1 for r in results if r.outcome == "rejected")
    run.status = RunStatus.FINISHED
    _link_new_records(run)
    run.finished_at = run.heartbeat_at = timezone.now()
    run.save()
    return run, results
