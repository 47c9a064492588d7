from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from saferhub.demo.partnership_files import SIZES
from saferhub.demo.services import (
    DEMO_PASSWORD,
    ExportImported,
    demo_load,
    demo_totp_code,
    demo_totp_secret,
)
from saferhub.partnerships.partnership_file import PartnershipFileError


class Command(BaseCommand):
    help = "Load the demo partnerships (Tayside, with invented users), or show the demo code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            choices=["load", "code"],
            default="load",
            help="load (the default) the demo, or print the demo users' current second-factor code",
        )
        parser.add_argument(
            "--size",
            choices=list(SIZES),
            default="small",
            help="small: 2 partnerships, 30 users in the first; medium: 3; large: 4",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="the same seed gives the same demo"
        )
        parser.add_argument(
            "--exports",
            choices=["full", "small", "none"],
            default="small",
            help="the Dundee partners' exports to write under var/demo-exports/ and import: "
            "small (about 2,000 incidents, the default), full (about 20,000 incidents and "
            "5,000 people over two years) or none (hand-made incidents instead)",
        )

    def handle(self, *args, **options) -> None:
        if options["action"] == "code":
            self.stdout.write(demo_totp_code())
            return
        call_command("migrate", interactive=False, verbosity=0)
        if options["exports"] != "none":
            self.stdout.write(
                f"Importing the Dundee partners' exports ({options['exports']}) "
                "through the hub's import:"
            )
        try:
            result = demo_load(
                size=options["size"],
                seed=options["seed"],
                today=timezone.localdate(),
                exports=options["exports"],
                on_file=self._imported,
            )
        except PartnershipFileError as exc:
            raise CommandError(
                "The demo could not be loaded:\n" + "\n".join(exc.problems)
            ) from None
        summary = (
            f"Demo loaded: partnerships {', '.join(result.partnerships)}; "
            f"{result.users} users; {result.changes} changes made; "
            f"{result.incidents} hand-made incidents added; "
            f"{result.initiatives} initiatives with their evaluations; "
            f"{result.referrals} referrals, {result.cases} cases, {result.briefings} daily "
            f"briefings and {result.meetings} MATAC meetings"
        )
        if result.exports:
            inserted = sum(e.inserted for e in result.exports)
            rejected = sum(e.rejected for e in result.exports)
            summary += (
                f"; {inserted:,} records imported from {len(result.exports)} partner exports "
                f"({rejected} rows rejected on purpose: see the import report)"
            )
        self.stdout.write(self.style.SUCCESS(summary + "."))
        for kind, linked in result.linked.items():
            self.stdout.write(
                f"Linked the Dundee {kind} records: {linked.records:,} records in "
                f"{linked.entities:,} {kind} entities, {linked.pairs_queued} pairs waiting "
                f"for review ({linked.seconds:.1f} s)."
            )
        if result.exports_directory:
            self.stdout.write(
                f"The exports and their answer key are in {result.exports_directory}/ "
                "(docs/demo.md explains them)."
            )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Log in at {settings.SITE_URL}/accounts/login/ as any demo user,",
                    f"with the password: {DEMO_PASSWORD}",
                    "  demo.manager       manager, Dundee City Council (no second factor)",
                    "  demo.coordinator   coordinator, Dundee City Council",
                    "  demo.police        practitioner, Police Scotland",
                    "  demo.fire          practitioner, Scottish Fire and Rescue Service",
                    "  demo.admin         administrator (Django admin at /admin/)",
                    "  (`saferhub user list` shows all of them)",
                    "Users whose roles see personal data also need a second-factor code:",
                    f"  add the key {demo_totp_secret()} to an authenticator app, or run",
                    "  `.venv/bin/saferhub demo code` for the current code.",
                ]
            )
        )

    def _imported(self, done: ExportImported) -> None:
        line = f"  {done.line()}"
        self.stdout.write(line if done.status == "finished" else self.style.ERROR(line))
