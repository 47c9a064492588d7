"""Loading the demo: the partnerships through the same path as a real partnership file, and
the Dundee partners' exports through the same path as a real import."""

import base64
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhub.accounts.second_factor import DEVICE_NAME, second_factor_required
from saferhub.demo.analysis_patterns import demo_patterns_load
from saferhub.demo.briefings import demo_briefings_load
from saferhub.demo.cases import demo_cases_load
from saferhub.demo.incidents import demo_incidents_load, demo_now
from saferhub.demo.initiatives import demo_initiatives_load
from saferhub.demo.meetings import demo_meetings_load
from saferhub.demo.partner_exports import (
    EXPORT_FILES,
    PARTNERSHIP_CODE,
    PROFILES_FILE,
    SIZES,
    partner_exports,
)
from saferhub.demo.partnership_files import demo_partnership_files, earlier_version
from saferhub.demo.population import PostcodePoint
from saferhub.demo.referrals import demo_referrals_load
from saferhub.geography.demo import COLUMNS, ROWS, SIDE, SOUTH, WEST, demo_geography_load
from saferhub.geography.models import DataZone, PostcodeLookup
from saferhub.imports.models import MappingProfile
from saferhub.imports.profiles import profiles_apply
from saferhub.imports.services import import_run_create, import_run_execute
from saferhub.linkage.linking import BulkLinkResult, link_bulk
from saferhub.linkage.models import EntityKind
from saferhub.partnerships.models import Organisation, Partnership, User
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply

EXPORT_CHOICES = ["none", *SIZES]
# The demo geography's data zones are S0109nnnn, numbered row by row from the south-west.
DEMO_ZONE_PREFIX = "S0109"

DEMO_PASSWORD = "safer-hub-demo"  # noqa: S105 - published demo password
# Every demo user shares this authenticator key, so one entry in an app serves them all.
# It is published in the README: demo data only, never a real deployment.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"


@dataclass
class ExportImported:
    """What importing one demo export did."""

    file: str
    organisation: str
    profile: str
    status: str
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    message: str
    seconds: float

    def line(self) -> str:
        counts = (
            f"{self.inserted:,} inserted, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.rejected:,} rejected"
        )
        done = f"{self.file} ({self.organisation}, {self.profile}): {counts}"
        if self.status != "finished":
            done += f" [{self.status}: {self.message}]"
        return f"{done} in {self.seconds:.1f}s"


@dataclass
class DemoResult:
    partnerships: list[str]
    users: int
    changes: int
    incidents: int = 0
    exports: list[ExportImported] = field(default_factory=list)
    exports_directory: Path | None = None
    # What linking the imported records did, by kind ("person", "place").
    linked: dict[str, BulkLinkResult] = field(default_factory=dict)
    initiatives: int = 0
    # The hub at work: made after the records and links, from them.
    referrals: int = 0
    cases: int = 0
    briefings: int = 0
    meetings: int = 0


def demo_totp_secret() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def demo_totp_code(at: float | None = None) -> str:
    """The demo users' current second-factor code."""
    clock = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX))
    clock.time = at if at is not None else time.time()
    return f"{clock.token():06d}"


def demo_load(
    *,
    size: str,
    seed: int,
    today: datetime.date,
    exports: str = "none",
    on_file: Callable[[ExportImported], None] | None = None,
) -> DemoResult:
    """Apply the demo partnership files and give every demo user the demo password and key;
    load the demo geography; then, unless `exports` is "none", write the Dundee partners'
    exports of that size and import them (else make Dundee's hand-made incidents).

    Loading again with the same seed changes nothing but the passwords, which it resets.
    """
    if exports not in EXPORT_CHOICES:
        raise ValueError(f"exports must be one of {', '.join(EXPORT_CHOICES)}, not {exports!r}")
    result = _partnerships_load(size=size, seed=seed, today=today)
    demo_geography_ensure()
    for code in result.partnerships:
        partnership = Partnership.objects.get(code=code)
        if code == PARTNERSHIP_CODE and exports != "none":
            continue
        result.incidents += demo_incidents_load(
            partnership=partnership, size=size, seed=seed, now=demo_now()
        )
    # Patterns for the Analysis area to find (hotspots, repeat locations, a near-repeat
    # burglary series), then three initiatives with finished evaluations; both add nothing
    # when loaded again. Before the exports, so that one linking run sees every record.
    for code in result.partnerships:
        partnership = Partnership.objects.get(code=code)
        result.incidents += demo_patterns_load(partnership=partnership, seed=seed, now=demo_now())
        result.initiatives += demo_initiatives_load(
            partnership=partnership, seed=seed, now=demo_now()
        )
    if exports != "none":
        directory = Path(settings.VAR_DIR) / "demo-exports" / exports
        result.exports = demo_exports_load(
            size=exports, seed=seed, directory=directory, on_file=on_file
        )
        result.exports_directory = directory
        # Linked, so that the single view of a person and the review queue have content.
        dundee = Partnership.objects.get(code=PARTNERSHIP_CODE)
        for kind in (EntityKind.PERSON, EntityKind.PLACE):
            result.linked[kind] = link_bulk(partnership=dundee, kind=kind)
    # The hub at work, last: referrals between partners, cases with their actions, a week of
    # daily briefings, and two past MATAC meetings and the next, whose agendas are proposed
    # from everything above. Each adds nothing when loaded again.
    for code in result.partnerships:
        partnership = Partnership.objects.get(code=code)
        at_work = {"partnership": partnership, "seed": seed, "now": demo_now()}
        result.referrals += demo_referrals_load(**at_work)
        result.cases += demo_cases_load(**at_work)
        result.briefings += demo_briefings_load(**at_work)
        result.meetings += demo_meetings_load(**at_work)
    return result


@transaction.atomic
def _partnerships_load(*, size: str, seed: int, today: datetime.date) -> DemoResult:
    files = demo_partnership_files(size=size, seed=seed, today=today)
    changes = 0
    for data in files:
        code = data["partnership"]["code"]
        source = f"the demo partnership {code}"
        # The first load also applies the earlier version, so a protocol has a history.
        first_load = not Partnership.objects.filter(code=code).exists()
        for version in (earlier_version(data), data) if first_load else (data,):
            document = validate_partnership_data(version, source)
            changes += len(partnership_apply(document=document).lines)
    usernames = {u["username"] for data in files for u in data["users"]}
    users = User.objects.filter(username__in=usernames)
    # One hash for every demo user: Argon2 is slow on purpose, and these are demo accounts.
    users.update(password=make_password(DEMO_PASSWORD))
    for user in users:
        if second_factor_required(user):
            TOTPDevice.objects.update_or_create(
                user=user,
                name=DEVICE_NAME,
                defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
            )
    return DemoResult(
        partnerships=[data["partnership"]["code"] for data in files],
        users=len(usernames),
        changes=changes,
    )


def demo_geography_ensure() -> None:
    """Load the demo geography unless it is there already (loading it again would only
    rewrite the same rows)."""
    if DataZone.objects.filter(code__startswith=DEMO_ZONE_PREFIX).count() != COLUMNS * ROWS:
        demo_geography_load()


def demo_postcode_points(*, council_area: str = "S12000042") -> list[PostcodePoint]:
    """The demo geography's postcodes in one council area (Dundee City by default), with
    the square of each one's data zone, for the export generator."""
    lookups = (
        PostcodeLookup.objects.filter(
            data_zone__code__startswith=DEMO_ZONE_PREFIX,
            data_zone__council_area__code=council_area,
        )
        .select_related("data_zone")
        .order_by("postcode")
    )
    points = []
    for lookup in lookups:
        row, column = divmod(int(lookup.data_zone.code[len(DEMO_ZONE_PREFIX) :]), COLUMNS)
        west, south = WEST + column * SIDE, SOUTH + row * SIDE
        points.append(
            PostcodePoint(
                postcode=lookup.postcode,
                data_zone=lookup.data_zone.code,
                easting=lookup.easting,
                northing=lookup.northing,
                bounds=(west, south, west + SIDE, south + SIDE),
            )
        )
    return points


def demo_exports_day(partnership: Partnership) -> datetime.date:
    """The day the exports are "taken": the day the demo partnership was first loaded, so that
    loading again on a later day makes the same files (and changes nothing)."""
    return timezone.localdate(partnership.created_at)


def demo_exports_write(*, size: str, seed: int, directory: Path) -> dict:
    """Write the Dundee partners' exports, their answer key and manifest under `directory`;
    returns the manifest."""
    partnership = Partnership.objects.get(code=PARTNERSHIP_CODE)
    export_set = partner_exports(
        postcodes=demo_postcode_points(),
        today=demo_exports_day(partnership),
        seed=seed,
        size=size,
    )
    export_set.write(directory)
    return export_set.manifest


def demo_exports_load(
    *,
    size: str,
    seed: int,
    directory: Path,
    on_file: Callable[[ExportImported], None] | None = None,
) -> list[ExportImported]:
    """Write the exports, apply the demo's mapping profiles and import every file through the
    hub's import runs: places first, then people, then incidents, which name both."""
    demo_exports_write(size=size, seed=seed, directory=directory)
    profiles_apply(text=PROFILES_FILE.read_text(), source=str(PROFILES_FILE))
    partnership = Partnership.objects.get(code=PARTNERSHIP_CODE)
    imported = []
    for export in EXPORT_FILES:
        organisation = Organisation.objects.get(code=export.organisation)
        profile = MappingProfile.objects.get(organisation=organisation, name=export.profile)
        started = time.monotonic()
        run = import_run_create(
            organisation=organisation,
            kind=export.kind,
            profile=profile,
            file_name=export.name,
            stored_path=str(directory / export.name),
            partnership=partnership if export.kind == "incidents" else None,
        )
        run = import_run_execute(run)
        done = ExportImported(
            file=export.name,
            organisation=export.organisation,
            profile=export.profile,
            status=run.status,
            inserted=run.rows_inserted,
            updated=run.rows_updated,
            unchanged=run.rows_unchanged,
            rejected=run.rows_rejected,
            message=run.message,
            seconds=time.monotonic() - started,
        )
        if on_file is not None:
            on_file(done)
        imported.append(done)
    return imported
