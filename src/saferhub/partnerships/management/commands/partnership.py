from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.partnerships.models import Partnership
from saferhub.partnerships.partnership_file import PartnershipFileError, read_partnership_file
from saferhub.partnerships.selectors import partnership_file_export
from saferhub.partnerships.services import partnership_apply


class Command(BaseCommand):
    help = (
        "Set up a partnership from its partnership file, or write one out "
        "(docs/partnership-file.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        apply = actions.add_parser(
            "apply",
            help="Create or update a partnership from a partnership file",
            description=(
                "Create or update the partnership, its organisations, memberships, funded "
                "posts, users, roles, themes and protocols as the file says. Applying the same "
                "file again changes nothing. An invalid file changes nothing."
            ),
        )
        apply.add_argument("file", type=Path, help="the partnership file (YAML)")
        apply.add_argument(
            "--dry-run", action="store_true", help="print the changes without making them"
        )
        export = actions.add_parser(
            "export",
            help="Write a partnership's set-up out as a partnership file",
            description="Print the partnership file of a partnership (or write it to --output).",
        )
        export.add_argument("code", help="the partnership's code")
        export.add_argument("--output", "-o", type=Path, help="write to this file")

    def handle(self, *args, **options) -> None:
        if options["action"] == "apply":
            self.apply(options["file"], options["dry_run"])
        else:
            self.export(options["code"], options["output"])

    def apply(self, path: Path, dry_run: bool) -> None:
        try:
            document = read_partnership_file(path)
            changes = partnership_apply(document=document, dry_run=dry_run)
        except PartnershipFileError as exc:
            problems = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(
                f"{path} was not applied and nothing changed. Fix these problems:\n{problems}"
            ) from None
        for line in changes.lines:
            self.stdout.write(line)
        code = document.partnership.code
        if not changes:
            self.stdout.write(f"No changes: partnership {code} already matches {path}.")
        elif dry_run:
            self.stdout.write(
                f"Dry run: {len(changes.lines)} changes would be made to partnership {code}; "
                "nothing was changed."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Applied {len(changes.lines)} changes to partnership {code}.")
            )

    def export(self, code: str, output: Path | None) -> None:
        partnership = Partnership.objects.filter(code=code).first()
        if partnership is None:
            raise CommandError(f"No partnership with code {code!r}.")
        text = yaml.safe_dump(
            partnership_file_export(partnership=partnership),
            sort_keys=False,
            allow_unicode=True,
            width=100,
        )
        if output:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc}") from None
            self.stdout.write(f"Wrote the partnership file of {code} to {output}.")
        else:
            self.stdout.write(text, ending="")
