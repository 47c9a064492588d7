import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.linkage.linking import link_bulk
from saferhub.linkage.models import EntityKind
from saferhub.partnerships.models import Partnership

KINDS = {"people": EntityKind.PERSON, "places": EntityKind.PLACE}


class Command(BaseCommand):
    help = (
        "Link the people or places of a partnership's organisations into entities "
        "(docs/linkage.md). Entity ids are kept from one run to the next: new records join "
        "existing entities, and a run on unchanged records changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="people or places")
        parser.add_argument(
            "--partnership",
            metavar="CODE",
            help="the partnership to link (needed only when the hub has several)",
        )
        parser.add_argument(
            "--retrain",
            action="store_true",
            help="train a new version of the model first, on the records as they are now",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (it goes to standard error)",
        )

    def handle(self, *args, **options) -> None:
        partnership = self.partnership(options["partnership"])
        kind = KINDS[options["kind"]]
        bar = None if options["no_progress"] else _ProgressBar(options["kind"])
        try:
            result = link_bulk(
                partnership=partnership,
                kind=kind,
                retrain=options["retrain"],
                on_progress=bar.update if bar else None,
            )
        finally:
            if bar:
                bar.close()
        what = options["kind"]
        if result.trained:
            self.stdout.write(f"Trained {kind} linkage model version {result.model_version}.")
        self.stdout.write(
            f"Linked the {what} of {partnership.code}: {result.records:,} records in "
            f"{result.entities:,} entities, in {result.seconds:,.1f} s."
        )
        self.stdout.write(
            f"  {result.new_entities:,} new entities, {result.links_made:,} records linked, "
            f"{result.moved:,} moved, {result.merged:,} entities merged, "
            f"{result.pairs_queued:,} pairs queued for review."
        )
        if not (result.new_entities or result.links_made or result.moved or result.pairs_queued):
            self.stdout.write(self.style.SUCCESS("Nothing changed."))

    def partnership(self, code: str | None) -> Partnership:
        if code:
            partnership = Partnership.objects.filter(code=code).first()
            if partnership is None:
                known = ", ".join(
                    Partnership.objects.order_by("code").values_list("code", flat=True)
                )
                raise CommandError(
                    f"No partnership with code {code!r}"
                    + (f"; the partnerships are {known}." if known else "; there are none yet.")
                )
            return partnership
        partnerships = list(Partnership.objects.order_by("code")[:2])
        if not partnerships:
            raise CommandError("There is no partnership yet: apply a partnership file first.")
        if len(partnerships) > 1:
            raise CommandError("The hub has several partnerships: say which with --partnership.")
        return partnerships[0]


class _ProgressBar:
    """The run's steps on standard error."""

    def __init__(self, what: str):
        from tqdm import tqdm

        self.bar = tqdm(total=5, file=sys.stderr, desc=f"linking {what}", unit="step")
        self.done = 0

    def update(self, step: str, done: int, total: int) -> None:
        self.bar.set_postfix_str(step)
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        self.bar.close()
