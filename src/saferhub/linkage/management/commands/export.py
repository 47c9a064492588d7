import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from saferhub.audit.services import Disclosure, audit_record
from saferhub.linkage.models import EntityKind
from saferhub.linkage.selectors import clusters_for_export
from saferhub.partnerships.models import Partnership, User
from saferhub.people.models import PersonRecord
from saferhub.sharing.engine import reader_for, reader_in_partnership
from saferhub.sharing.models import Purpose
from saferhub.sharing.redaction import person_subject_key

EXPORTS = {
    "person-clusters": (EntityKind.PERSON, "person_id"),
    "place-clusters": (EntityKind.PLACE, "place_id"),
}

DESCRIPTION = (
    "Write the {noun} linked in each partnership as CSV, one row per record: organisation "
    "(its code), source_ref (the organisation's own reference), {column} (the linked "
    "{noun_one}'s number in the hub) and match_probability (how sure the hub is that the record "
    "belongs there). The file holds only the records the user named by --as may see in full "
    "(personal level, for analysis) through the sharing protocols, since a source reference "
    "identifies someone: the records of other partners that user may not see, or sees only "
    "depersonalised, are left out without a trace. The export is written to the audit trail. "
    "See docs/people-and-places.md."
)


class Command(BaseCommand):
    help = "Export linked people or places for analysts, as the sharing rules allow a user."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
        for name, (kind, column) in EXPORTS.items():
            noun = "people" if kind == EntityKind.PERSON else "places"
            export = actions.add_parser(
                name,
                help=f"Write the linked {noun} (organisation, source_ref, {column}, "
                "match_probability) to a CSV file",
                description=DESCRIPTION.format(noun=noun, noun_one=kind, column=column),
            )
            export.add_argument("file", type=Path, help="the CSV file to write")
            export.add_argument(
                "--as",
                dest="username",
                required=True,
                metavar="USERNAME",
                help="export what this user may see in full (their organisation and roles)",
            )
            export.add_argument(
                "--partnership",
                metavar="CODE",
                help="only this partnership (by default, every partnership the user works in)",
            )

    def handle(self, *args, **options) -> None:
        kind, column = EXPORTS[options["what"]]
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user with username {options['username']!r}")
        reader = reader_for(user, Purpose.ANALYSIS)
        partnerships = Partnership.objects.filter(pk__in=reader.partnerships).order_by("code")
        if options.get("partnership"):
            code = options["partnership"]
            partnerships = partnerships.filter(code=code)
            if not partnerships.exists():
                # Unknown and not the user's are one answer: the user sees nothing of either.
                raise CommandError(f"{user.username} works in no partnership with code {code!r}")
        try:
            out = options["file"].open("w", newline="", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {options['file']}: {exc.strerror}") from None
        rows = 0
        with out, transaction.atomic():
            writer = csv.writer(out)
            writer.writerow(["organisation", "source_ref", column, "match_probability"])
            for partnership in partnerships:
                seen = reader_in_partnership(reader, partnership.pk)
                found = list(clusters_for_export(reader=seen, partnership=partnership, kind=kind))
                for organisation, source_ref, entity_id, probability, _ in found:
                    writer.writerow([organisation, source_ref, entity_id, f"{probability:.6f}"])
                rows += len(found)
                _audit(reader.user, partnership, kind, found)
        self.stdout.write(f"Wrote {rows} row{'' if rows == 1 else 's'} to {options['file']}.")


def _audit(user: User, partnership: Partnership, kind: str, found: list[tuple]) -> None:
    """One audit event per other organisation's record the file holds, or one for the export
    itself when it holds none: every export is audited (DESIGN.md section 4)."""
    own = user.organisation.code if user.organisation else None
    others = [(code, record_id) for code, _, _, _, record_id in found if code != own]
    subjects: dict[int, tuple[str, ...]] = {}
    if kind == EntityKind.PERSON and others:
        people = PersonRecord.objects.in_bulk([record_id for _, record_id in others])
        subjects = {
            pk: (person_subject_key(partnership.code, person),) for pk, person in people.items()
        }
    detail = {"export": f"{kind}_clusters", "rows": len(found)}
    disclosures = [
        Disclosure(
            record_type=f"{kind}_record",
            record_id=record_id,
            partnership_code=partnership.code,
            owner_code=code,
            level="personal",
            basis="export",
            subjects=subjects.get(record_id, ()),
        )
        for code, record_id in others
    ]
    if disclosures:
        audit_record(
            actor=user, action="export", purpose="analysis", disclosures=disclosures, detail=detail
        )
    else:
        audit_record(
            actor=user,
            action="export",
            purpose="analysis",
            partnership_code=partnership.code,
            detail=detail,
        )
