import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from saferhub.briefings.models import MadeBy
from saferhub.briefings.presenters import briefing_text
from saferhub.briefings.selectors import briefing_for_reader, briefing_reader
from saferhub.briefings.services import BriefingInvalid, briefing_make, briefing_reads_record
from saferhub.briefings.tasks import briefings_schedule_ensure
from saferhub.partnerships.models import Partnership, RoleAssignment, User


class Command(BaseCommand):
    help = (
        "Make (or find) a partnership's daily briefing for a date; with --as, print that "
        "user's version of it (only what the sharing rules let them see), or write it as a "
        "PDF with --pdf. `saferhub briefing schedule` starts the morning schedule (each "
        "partnership's briefing at its generate_at; safe to run twice). See docs/briefings.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            choices=["schedule"],
            help="schedule: make sure the morning briefings are queued for the worker",
        )
        parser.add_argument("--partnership", metavar="CODE", help="the partnership's code")
        parser.add_argument(
            "--date", metavar="YYYY-MM-DD", help="the briefing's date (default: today)"
        )
        parser.add_argument(
            "--area", metavar="CODE", default="", help="one intermediate zone (S02...) only"
        )
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="print this user's version of the briefing (the read is audited)",
        )
        parser.add_argument(
            "--pdf", metavar="FILE", help="write the user's version to FILE as a PDF (needs --as)"
        )

    def handle(self, *args, **options) -> None:
        if options["action"] == "schedule":
            self.stdout.write(briefings_schedule_ensure())
            return
        code = options["partnership"]
        if not code:
            raise CommandError("Say which partnership: --partnership CODE")
        partnership = Partnership.objects.filter(code=code).first()
        if partnership is None:
            raise CommandError(f"There is no partnership with the code {code!r}.")
        for_date = _date(options["date"])
        if options["pdf"] and not options["username"]:
            raise CommandError("--pdf writes one user's version: say whose with --as USERNAME.")
        user = None
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"There is no active user {options['username']!r}.")
            if not RoleAssignment.objects.filter(user=user, partnership=partnership).exists():
                raise CommandError(f"{user.username} holds no role in {partnership.code}.")
        try:
            briefing = briefing_make(
                partnership=partnership,
                for_date=for_date,
                area=options["area"],
                made_by=MadeBy.COMMAND,
                user=user,
            )
        except BriefingInvalid as exc:
            raise CommandError("; ".join(exc.errors.values())) from None
        if user is None:
            self.stdout.write(
                f"Briefing for {partnership.code} on {for_date} "
                f"({briefing.get_status_display().lower()}); see it with --as USERNAME."
            )
            return
        reader = briefing_reader(user, briefing)
        content = briefing_for_reader(reader, briefing)
        if options["pdf"]:
            path = Path(options["pdf"])
            if not path.parent.is_dir():
                raise CommandError(f"Cannot write {path}: there is no folder {path.parent}.")
            pdf = _pdf(content)
            with transaction.atomic():
                _audit(reader, content, "briefing pdf")
                path.write_bytes(pdf)
            self.stdout.write(f"Wrote {path} ({len(pdf):,} bytes).")
            return
        _audit(reader, content, "briefing read")
        self.stdout.write(briefing_text(content))


def _date(value: str | None) -> datetime.date:
    from django.utils import timezone

    if not value:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r} is not a date like 2026-11-23.") from None


def _audit(reader, content, action: str) -> None:
    briefing_reads_record(
        reader=reader,
        briefing=content.briefing,
        incidents=content.shown_incidents,
        referrals=content.shown_referrals,
        actions=content.shown_actions,
        action=action,
    )


def _pdf(content) -> bytes:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from saferhub.briefings.views import _content_context

    html = render_to_string("briefings/print.html", _content_context(content))
    return HTML(string=html).write_pdf()
