from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Check the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser(
            "verify",
            help="Check that no audit event has been changed, removed or inserted",
            description=(
                "Walk the whole audit chain in order, recompute every event's hash and check "
                "that each event follows the one before and that the chain ends where its head "
                "says. Exits 0 and prints the number of events and the last hash when the chain "
                "is intact; otherwise names the first event that does not fit and exits 1."
            ),
        )
        verify.add_argument(
            "--chunk-size",
            type=int,
            default=5000,
            help="events read from the database at a time (default 5000)",
        )

    def handle(self, *args, **options) -> None:
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        report = audit_chain_verify(chunk_size=options["chunk_size"])
        if not report.intact:
            raise CommandError(report.in_words())
        self.stdout.write(self.style.SUCCESS(report.in_words()))
