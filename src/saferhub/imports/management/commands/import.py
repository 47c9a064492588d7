import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.imports.models import ImportRun, MappingProfile, RecordKind, RunStatus
from saferhub.imports.profiles import ProfileFileInvalid, profiles_apply, profiles_export
from saferhub.imports.selectors import rejections_write_csv
from saferhub.imports.services import ImportInvalid, import_run_create, import_run_execute
from saferhub.partnerships.models import Organisation, Partnership

SHOWN_PROBLEMS = 20


class Command(BaseCommand):
    help = (
        "Import incidents, people or places from a partner's CSV or XLSX file through a "
        "mapping profile, manage mapping profiles, and show an import's report "
        "(docs/imports.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        profile = actions.add_parser(
            "profile",
            help="Apply or export mapping profiles (YAML)",
            description="Mapping profiles say how a partner's file reads: which column is "
            "which field, code translations, date formats, themes.",
        )
        profile_actions = profile.add_subparsers(
            dest="profile_action", required=True, metavar="ACTION"
        )
        apply = profile_actions.add_parser(
            "apply",
            help="Create or update the profiles of a profile file",
            description="Create or update every profile in the file. An invalid file changes "
            "nothing, and each problem is named by its key (profiles[2].codes.category).",
        )
        apply.add_argument("file", type=Path, help="the profile file (YAML)")
        export = profile_actions.add_parser(
            "export",
            help="Write an organisation's profiles out as a profile file",
            description="Print the organisation's profiles as a profile file (or write it to "
            "--output); applying it again changes nothing.",
        )
        export.add_argument("--org", required=True, metavar="CODE", help="the organisation")
        export.add_argument("--output", "-o", type=Path, help="write to this file")
        for kind in RecordKind:
            run = actions.add_parser(
                kind.value,
                help=f"Import {kind.value} from a CSV or XLSX file",
                description=(
                    f"Import {kind.value} from a partner's CSV or XLSX file, read through one of "
                    "the organisation's mapping profiles. Rows are matched on the organisation's "
                    "source reference: importing the same file again changes nothing, a changed "
                    "row updates its record and keeps a revision. A bad row is reported and the "
                    "others are imported; a file that cannot be read changes nothing."
                ),
            )
            run.add_argument("file", type=Path, help="the file, .csv or .xlsx")
            run.add_argument(
                "--org", required=True, metavar="CODE", help="the organisation whose file it is"
            )
            run.add_argument(
                "--profile",
                required=True,
                metavar="NAME",
                help="the organisation's mapping profile to read it with",
            )
            if kind == RecordKind.INCIDENTS:
                run.add_argument(
                    "--partnership",
                    metavar="CODE",
                    help="the partnership the incidents belong to (needed only when the "
                    "organisation is in several)",
                )
            run.add_argument(
                "--dry-run",
                action="store_true",
                help="check every row and report, but change nothing",
            )
            run.add_argument(
                "--strict",
                action="store_true",
                help="all or nothing: if any row is bad, import nothing",
            )
            run.add_argument(
                "--no-progress",
                action="store_true",
                help="no progress bar (it goes to standard error)",
            )
        report = actions.add_parser(
            "report",
            help="Show an import's outcome and its rejected rows",
            description="Show what an import run read, wrote and rejected, with the first "
            "rejected rows; --csv writes every rejected row (row, source reference, field, "
            "reason, value).",
        )
        report.add_argument("run", type=int, help="the import run's number")
        report.add_argument(
            "--csv", type=Path, metavar="FILE", help="write the whole report to this CSV file"
        )

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "profile":
            if options["profile_action"] == "apply":
                self.profile_apply(options["file"])
            else:
                self.profile_export(options["org"], options["output"])
        elif action == "report":
            self.report(options["run"], options["csv"])
        else:
            self.run_import(action, options)

    # -- profiles ----------------------------------------------------------------------------

    def profile_apply(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"There is no file {path}.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path} cannot be read: {exc}") from None
        try:
            profiles = profiles_apply(text=text, source=str(path))
        except ProfileFileInvalid as exc:
            problems = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(
                f"{path} was not applied and nothing changed. Fix these problems:\n{problems}"
            ) from None
        for profile in profiles:
            self.stdout.write(f"  {profile.organisation.code}: {profile.name} ({profile.kind})")
        self.stdout.write(self.style.SUCCESS(f"Applied {len(profiles)} profile(s) from {path}."))

    def profile_export(self, code: str, output: Path | None) -> None:
        organisation = self.organisation(code)
        text = profiles_export(organisation)
        if output:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc}") from None
            self.stdout.write(f"Wrote the profiles of {code} to {output}.")
        else:
            self.stdout.write(text, ending="")

    def organisation(self, code: str) -> Organisation:
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is None:
            raise CommandError(f"No organisation with code {code!r}.")
        return organisation

    # -- importing -------------------------------------------------------------------------

    def run_import(self, kind: str, options: dict) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"There is no file {path}.")
        organisation = self.organisation(options["org"])
        profile = MappingProfile.objects.filter(
            organisation=organisation, name=options["profile"]
        ).first()
        if profile is None:
            names = ", ".join(
                MappingProfile.objects.filter(organisation=organisation, kind=kind).values_list(
                    "name", flat=True
                )
            )
            raise CommandError(
                f"{organisation.code} has no mapping profile {options['profile']!r}"
                + (
                    f"; its profiles of {kind} are {names}."
                    if names
                    else f" and no profile of {kind}; apply one with "
                    "`saferhub import profile apply`."
                )
            )
        partnership = None
        if options.get("partnership"):
            partnership = Partnership.objects.filter(code=options["partnership"]).first()
            if partnership is None:
                raise CommandError(f"No partnership with code {options['partnership']!r}.")
        try:
            run = import_run_create(
                organisation=organisation,
                kind=kind,
                profile=profile,
                file_name=path.name,
                stored_path=str(path.resolve()),
                partnership=partnership,
                dry_run=options["dry_run"],
                strict=options["strict"],
            )
        except ImportInvalid as exc:
            raise CommandError(str(exc)) from None
        started = time.monotonic()
        bar = None if options["no_progress"] else _ProgressBar(run, started)
        try:
            run = import_run_execute(run, on_progress=bar.update if bar else None)
        finally:
            if bar:
                bar.close()
        elapsed = time.monotonic() - started
        self.summary(run, elapsed)

    def summary(self, run: ImportRun, elapsed: float | None = None) -> None:
        if run.status == RunStatus.FINISHED:
            if run.message:
                self.stdout.write(run.message)
            self.problems(run)
            would = "would be " if run.dry_run else ""
            timing = ""
            if elapsed:
                timing = f" in {elapsed:,.1f} s ({run.rows_read / max(elapsed, 1e-6):,.0f} rows/s)"
            line = (
                f"Import run {run.pk}: {run.rows_read:,} rows read{timing}: "
                f"{run.rows_inserted:,} {would}new, {run.rows_updated:,} {would}updated, "
                f"{run.rows_unchanged:,} unchanged, {run.rows_rejected:,} rejected."
            )
            if run.dry_run:
                line += " Dry run: nothing was changed."
            self.stdout.write(self.style.SUCCESS(line) if not run.rows_rejected else line)
            return
        self.problems(run)
        if run.status == RunStatus.REFUSED:
            raise CommandError(f"{run.file_name} was not imported: {run.message}")
        if run.status == RunStatus.FAILED:
            raise CommandError(f"Import run {run.pk} failed: {run.message}")
        self.stdout.write(f"Import run {run.pk} is {run.get_status_display().lower()}.")

    def problems(self, run: ImportRun) -> None:
        total = run.rejections.count()
        if not total:
            return
        for rejection in run.rejections.order_by("row_number", "pk")[:SHOWN_PROBLEMS]:
            value = f" (value: {rejection.value!r})" if rejection.value else ""
            self.stdout.write(
                f"  row {rejection.row_number}, {rejection.field}: {rejection.reason}{value}"
            )
        if total > SHOWN_PROBLEMS:
            self.stdout.write(
                f"  and {total - SHOWN_PROBLEMS:,} more; full report: "
                f"saferhub import report {run.pk} --csv FILE"
            )

    def report(self, number: int, output: Path | None) -> None:
        run = ImportRun.objects.filter(pk=number).select_related("organisation").first()
        if run is None:
            raise CommandError(f"No import run {number}.")
        if output:
            try:
                with output.open("w", newline="", encoding="utf-8") as handle:
                    count = rejections_write_csv(run, handle)
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc}") from None
            self.stdout.write(f"Wrote {count:,} problem(s) of import run {run.pk} to {output}.")
            return
        self.stdout.write(
            f"Import run {run.pk}: {run.kind} of {run.organisation.code} from {run.file_name}, "
            f"{run.get_status_display().lower()}."
        )
        if run.status in (RunStatus.REFUSED, RunStatus.FAILED):
            self.stdout.write(run.message)
            self.problems(run)
            return
        self.summary(run)


class _ProgressBar:
    """A progress bar on standard error: bytes of the file read, rows, rows a second and the
    time left."""

    def __init__(self, run: ImportRun, started: float):
        from tqdm import tqdm

        self.started = started
        self.bar = tqdm(
            total=run.bytes_total or None,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=sys.stderr,
            desc=run.file_name[:30],
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
            "[{elapsed}<{remaining}{postfix}]",
        )
        self.last = 0

    def update(self, run: ImportRun) -> None:
        if run.bytes_read < self.last:
            # An all-or-nothing import checks the whole file, then reads it again to write.
            self.bar.reset(total=run.bytes_total or None)
            self.bar.set_description("writing")
            self.last = 0
        self.bar.update(run.bytes_read - self.last)
        self.last = run.bytes_read
        rate = run.rows_read / max(time.monotonic() - self.started, 1e-6)
        self.bar.set_postfix_str(f"{run.rows_read:,} rows, {rate:,.0f} rows/s")

    def close(self) -> None:
        self.bar.close()
