from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.partnerships.models import Organisation
from saferhub.places.services import place_records_resolve


class Command(BaseCommand):
    help = "Work with place records (docs/people-and-places.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        resolve = actions.add_parser(
            "resolve",
            help="Resolve the places not yet resolved to a data zone",
            description=(
                "Try again to find the data zone of every place record not yet resolved, as "
                "after loading the postcode lookup or the boundaries "
                "(docs/reference-data.md). Places resolved already are left as they are."
            ),
        )
        resolve.add_argument(
            "--organisation", metavar="CODE", help="only this organisation's place records"
        )

    def handle(self, *args, **options) -> None:
        organisation = None
        if options.get("organisation"):
            organisation = Organisation.objects.filter(code=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation with code {options['organisation']!r}")
        resolved = place_records_resolve(organisation=organisation)
        self.stdout.write(f"Resolved {resolved} place{'' if resolved == 1 else 's'}.")
