"""Partner exports for the demo: one invented Dundee as five partners' systems record it.

Police Scotland, the fire service, the council's ASB team, council housing and NHS Tayside each
export what they hold in their own column layout, date format and code list, with the mistakes
real records have: typos, nicknames, given and family names swapped, dates of birth missing, known
only to the year or with day and month swapped, old addresses, postcodes missing, and a few rows
no import should take (an unknown code, an impossible date, a bad postcode or CHI number).

Beside the exports, an answer key says which records are the same true person, place and event,
so that record linkage can be measured against it (docs/demo.md describes every file).

Deterministic: the same postcodes, day, seed and size give the same bytes. A smaller size is a
subset of a larger one (the same rows, fewer of them), so loading one after another adds rows
and never contradicts them.
"""

import csv
import datetime
import io
import json
import random
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from saferhub.demo.events import (
    BAD_ROW_RATE,
    BAD_ROWS_PER_FILE,
    COUNCIL_CODE,
    FIRE_CODE,
    FULL_PEOPLE,
    HOUSING_CODE,
    NARRATIVES,
    NHS_CODE,
    PARTNERSHIP_CODE,
    POLICE_CODE,
    RELEVANT,
    SIZES,
    TIERS,
    UNKNOWN_CODES,
    Event,
    Generator,
    HeldPerson,
    HeldPlace,
    tier_of,
    unit,
)
from saferhub.demo.population import Person, Population, PostcodePoint, population_build

PROFILES_FILE = Path(__file__).parent / "fixtures" / "dundee-profiles.yaml"

# The files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    name: str
    organisation: str
    profile: str
    kind: str
    encoding: str
    delimiter: str


EXPORT_FILES = [
    ExportFile("housing-stock.csv", HOUSING_CODE, "housing-stock", "places", "utf-8", ","),
    ExportFile(
        "housing-tenants.csv", HOUSING_CODE, "housing-tenants", "people", "windows-1252", ";"
    ),
    ExportFile("nhs-patients.csv", NHS_CODE, "nhs-patients", "people", "utf-8", "|"),
    ExportFile(
        "police-occurrences.csv", POLICE_CODE, "police-occurrences", "incidents", "utf-8", ","
    ),
    ExportFile("sfrs-incidents.csv", FIRE_CODE, "sfrs-incidents", "incidents", "utf-8", ","),
    ExportFile("council-asb-cases.xlsx", COUNCIL_CODE, "asb-cases", "incidents", "", ""),
    ExportFile(
        "housing-asb-complaints.csv", HOUSING_CODE, "housing-asb", "incidents", "windows-1252", ";"
    ),
    ExportFile("nhs-ed-attendances.csv", NHS_CODE, "ed-attendances", "incidents", "utf-8", "|"),
]
FILES_BY_ORGANISATION = {f.organisation: f for f in EXPORT_FILES if f.kind == "incidents"}


def _headings(text: str) -> list[str]:
    """Column headings written as a comma-separated list."""
    return [heading.strip() for heading in text.split(",") if heading.strip()]


def _person_headings(prefix: str, fields: Sequence[str]) -> list[str]:
    return [f"{prefix} {name}" for name in fields]


POLICE_PERSON = _headings("Nominal, Forename, Surname, DOB, Sex, Address, Postcode")
HOUSING_PERSON = _headings(
    "Ref, Forename, Surname, DOB, Telephone, Email, Address, Postcode, Tenancy Start, Tenancy End"
)
NHS_PERSON = _headings(
    """Patient ID, CHI Number, Forename, Surname, Other Names, Date of Birth, Sex, Address,
    Postcode, Phone, Registered From"""
)
STOCK = _headings("Property Ref, Address 1, Address 2, Town, Postcode, UPRN, Property Type")
HEADINGS = {
    "police-occurrences.csv": [
        *_headings(
            """Occurrence Number, Date Reported, Date Occurred, Incident Type, Locus Ref, Locus,
            Locus Postcode, Grid Ref E, Grid Ref N, Summary, Risk Grading, Vulnerability Markers,
            Partner Disclosure, Restricted"""
        ),
        *_person_headings("Victim", POLICE_PERSON),
        *_person_headings("Suspect", POLICE_PERSON),
        "Suspect Aliases",
        *_person_headings("Reporter", POLICE_PERSON),
    ],
    "sfrs-incidents.csv": _headings(
        """Incident Number, Time of Call, Incident Type, Property Type, Location ID, Address,
        Easting, Northing, Occupier ID, Occupier Forename, Occupier Surname, Occupier DOB,
        Occupier Gender, Narrative, HFSV Priority, Risk Factors, Refer To"""
    ),
    "council-asb-cases.xlsx": _headings(
        """Case Ref, Date Reported, Incident Date, Category, Location ID, Location, Postcode, UPRN,
        Description, Risk, Share With, Complainant ID, Complainant First Name,
        Complainant Last Name, Complainant DOB, Complainant Gender, Perpetrator ID,
        Perpetrator First Name, Perpetrator Last Name, Perpetrator DOB, Perpetrator Gender,
        Perpetrator Address, Perpetrator Postcode"""
    ),
    "housing-stock.csv": STOCK,
    "housing-tenants.csv": _person_headings("Tenant", HOUSING_PERSON),
    "housing-asb-complaints.csv": [
        *_headings("Complaint Ref, Logged, Complaint Type, Priority, Notes"),
        *STOCK,
        *_headings("Refer To, Confidential"),
        *_person_headings("Tenant", HOUSING_PERSON),
        *_person_headings("Complainant", HOUSING_PERSON),
    ],
    "nhs-patients.csv": NHS_PERSON,
    "nhs-ed-attendances.csv": [
        *_headings(
            """Attendance ID, Arrival, Presenting Complaint, Triage Category, Clinical Summary,
            Share With, Restricted"""
        ),
        *NHS_PERSON,
    ],
}


@dataclass
class ExportSet:
    """The files of one size: exports, answer key and manifest, as bytes by relative path."""

    size: str
    files: dict[str, bytes]
    manifest: dict

    def write(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in self.files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)
        return written


# Formatting each partner's fields ----------------------------------------------------------


def _birth_text(record: HeldPerson, day: str, month: str, year: str = "%Y") -> str:
    born = record.born
    if born is None:
        return ""
    if record.precision == "year":
        return born.strftime(year)
    if record.precision == "month":
        return born.strftime(month)
    if record.day_month_swapped:
        born = born.replace(day=born.month, month=born.day)
    return born.strftime(day)


def _birth_cell(record: HeldPerson) -> object:
    """A date of birth as a spreadsheet holds it: a date cell when known to the day, else
    text ("03/1984", "1984")."""
    if record.born is None or record.precision != "day":
        return _birth_text(record, "%d/%m/%Y", "%m/%Y")
    born = record.born
    if record.day_month_swapped:
        born = born.replace(day=born.month, month=born.day)
    return born


def _date(value: datetime.date | None, pattern: str) -> str:
    return value.strftime(pattern) if value else ""


def _address_line(record: HeldPerson, upper: bool = False) -> str:
    text = record.address.one_line
    return text.upper() if upper else text


def _police_person(record: HeldPerson | None) -> list[str]:
    if record is None:
        return [""] * len(POLICE_PERSON)
    return [
        record.source_ref,
        record.given.upper(),
        record.family.upper(),
        _birth_text(record, "%d/%m/%Y", "%m/%Y"),
        {"male": "M", "female": "F"}.get(record.sex, "U"),
        _address_line(record, upper=True),
        record.address.postcode if record.postcode_given else "",
    ]


def _housing_person(record: HeldPerson | None) -> list[str]:
    if record is None:
        return [""] * len(HOUSING_PERSON)
    person = record.person
    return [
        record.source_ref,
        record.given,
        record.family,
        _birth_text(record, "%d/%m/%Y", "%m/%Y"),
        person.phone,
        person.email,
        _address_line(record),
        record.address.postcode,
        _date(record.address_from, "%d/%m/%Y"),
        _date(record.address_to, "%d/%m/%Y"),
    ]


def _nhs_person(record: HeldPerson | None) -> list[str]:
    if record is None:
        return [""] * len(NHS_PERSON)
    person = record.person
    return [
        record.source_ref,
        person.chi,
        record.given,
        record.family,
        ";".join(record.other_names),
        _birth_text(record, "%Y-%m-%d", "%Y-%m"),
        {"male": "1", "female": "2"}.get(record.sex, "9"),
        _address_line(record),
        record.address.postcode if record.postcode_given else "",
        person.phone,
        _date(record.address_from, "%Y-%m-%d"),
    ]


def _narrative(category: str, names: dict[str, str]) -> str:
    return NARRATIVES[category].format(
        victim=names.get("victim") or "the resident",
        subject=names.get("subject") or "a male",
    )


def _name(record: HeldPerson | None) -> str:
    return f"{record.given} {record.family}" if record else ""


def _yes(value: bool) -> str:
    return "Y" if value else "N"


# Putting it together -----------------------------------------------------------------------


@dataclass
class _Row:
    """One row of one file, with what the answer key needs to know about it."""

    values: list  # text, or dates and times for a spreadsheet
    tier: int
    key: str  # what identifies the row, for choosing the bad ones
    source_ref: str
    people: list[HeldPerson] = field(default_factory=list)
    places: list[HeldPlace] = field(default_factory=list)
    event: Event | None = None
    # Set when the row is made bad: (column heading, kind of problem).
    bad: tuple[str, str] | None = None
    corrupt: Callable[..., tuple[str, str]] | None = None


def partner_exports(
    *,
    postcodes: Sequence[PostcodePoint],
    today: datetime.date,
    seed: int = 2026,
    size: str = "small",
) -> ExportSet:
    """The Dundee partners' exports, the answer key and a manifest, for a size of SIZES."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    divisor = SIZES[size]
    population = population_build(postcodes=postcodes, people=FULL_PEOPLE, today=today, seed=seed)
    generator = Generator(population, today, seed)
    events = generator.events(divisor)
    rows: dict[str, list[_Row]] = {f.name: [] for f in EXPORT_FILES}
    for event in events:
        for org, code in event.recorders:
            rng = random.Random(f"{seed}:record:{event.id}:{org}")
            row = _INCIDENT_ROWS[org](generator, rng, event, code)
            rows[FILES_BY_ORGANISATION[org].name].append(row)
    _people_rows(generator, rows)
    # The people files and the stock list hold everyone a partner knows, in its own order.
    for name in ("housing-stock.csv", "housing-tenants.csv", "nhs-patients.csv"):
        rows[name].sort(key=lambda row: row.source_ref)
    files: dict[str, bytes] = {}
    rejections: list[list[str]] = []
    manifest_files = []
    good_rows: list[_Row] = []
    for export in EXPORT_FILES:
        kept = [row for row in rows[export.name] if row.tier >= divisor]
        _choose_bad_rows(seed, export, rows[export.name])
        headings = HEADINGS[export.name]
        for number, row in enumerate(kept, start=2):
            if row.bad is not None:
                rejections.append(
                    [export.name, str(number), row.source_ref, row.bad[0], row.bad[1]]
                )
            else:
                good_rows.append(row)
        if export.name.endswith(".xlsx"):
            files[export.name] = _xlsx(headings, [row.values for row in kept], XLSX_SHEET)
        else:
            files[export.name] = _csv(headings, [row.values for row in kept], export)
        manifest_files.append(
            {
                "file": export.name,
                "organisation": export.organisation,
                "profile": export.profile,
                "kind": export.kind,
                "rows": len(kept),
                "bad_rows": sum(1 for row in kept if row.bad is not None),
            }
        )
    files.update(_answer_key(population, good_rows, rejections, divisor))
    manifest = {
        "partnership": PARTNERSHIP_CODE,
        "size": size,
        "seed": seed,
        "today": today.isoformat(),
        "people": len(
            [p for p in population.people if p.index < len(population.people) // divisor]
        ),
        "files": manifest_files,
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    return ExportSet(size=size, files=files, manifest=manifest)


XLSX_SHEET = "ASB Cases"
# Every part of a workbook dated the same, so that the same rows give the same bytes.
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
FIXED_CORE_TIME = "2020-01-01T00:00:00Z"


def _xlsx(headings: list[str], rows: list[list], sheet: str) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(headings)
    for row in rows:
        worksheet.append(row)
    saved = io.BytesIO()
    workbook.save(saved)
    # openpyxl stamps the workbook with the time it was saved: put a fixed time instead.
    fixed = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(fixed, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + FIXED_CORE_TIME.encode() + rb"\g<3>",
                    data,
                )
            stamped = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            stamped.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(stamped, data)
    return fixed.getvalue()


def _csv(headings: list[str], rows: list[list[str]], export: ExportFile) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=export.delimiter, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(rows)
    return buffer.getvalue().encode(export.encoding)


# Rows of each file ---------------------------------------------------------------------------

RISK_WORDS = {
    POLICE_CODE: {"red": "HIGH", "amber": "MEDIUM", "green": "STANDARD"},
    FIRE_CODE: {"red": "1 - High", "amber": "2 - Medium", "green": "3 - Low"},
    COUNCIL_CODE: {"red": "High", "amber": "Medium", "green": "Low"},
    HOUSING_CODE: {"red": "P1", "amber": "P2", "green": "P3"},
}
FIRE_PROPERTY_TYPES = {
    "flat": "Dwelling - Flat",
    "house": "Dwelling - House",
    "open_space": "Outdoor - Grassland / Refuse",
    "road": "Outdoor - Road",
    "commercial": "Non Residential - Retail",
    "licensed": "Non Residential - Licensed Premises",
    "school": "Non Residential - Education",
}
HOUSING_PROPERTY_TYPES = {"flat": "FLAT", "house": "HOUSE"}
# Vulnerability flags as the police and the fire service write them.
POLICE_MARKERS = {
    "mental_health": "MH",
    "substance_misuse": "DRUGS/ALCOHOL",
    "learning_disability": "LD",
    "limited_mobility": "MOBILITY",
    "older_person": "ELDERLY",
    "child": "CHILD",
    "lives_alone": "LIVES ALONE",
    "hoarding": "HOARDER",
    "smoker": "SMOKER",
    "domestic_abuse": "DA",
    "repeat_victim": "REPEAT VICTIM",
}
FIRE_RISK_FACTORS = {
    "mental_health": "Mental health",
    "substance_misuse": "Alcohol/drug use",
    "learning_disability": "Learning disability",
    "limited_mobility": "Reduced mobility",
    "older_person": "Aged over 65",
    "child": "Child in property",
    "lives_alone": "Lives alone",
    "hoarding": "Hoarding",
    "smoker": "Smoker",
    "domestic_abuse": "Domestic abuse",
    "repeat_victim": "Previous incidents",
}


def _column(file_name: str, heading: str) -> int:
    return HEADINGS[file_name].index(heading)


def _sharing(rng: random.Random, org: str, category: str) -> tuple[list[str], bool]:
    partners, chance, restrict = RELEVANT.get((org, category), ([], 0.0, 0.0))
    if not partners or rng.random() >= chance:
        return [], False
    chosen = [p for p in partners if rng.random() < 0.8] or partners[:1]
    return chosen, rng.random() < restrict


def _spoil(
    file_name: str, heading: str, kind: str, value: Callable[[_Row], str]
) -> Callable[[_Row], tuple[str, str]]:
    """A way to make a row bad: put `value` in the column under `heading`."""

    def corrupt(row: _Row, which: int | None = None) -> tuple[str, str]:
        row.values[_column(file_name, heading)] = value(row)
        return heading, kind

    return corrupt


def _kinds(*spoilers: Callable[..., tuple[str, str]]) -> Callable[..., tuple[str, str]]:
    """Spoil a row one of several ways: the `which`th, or one fixed by the row."""

    def corrupt(row: _Row, which: int | None = None) -> tuple[str, str]:
        if which is None:
            which = int(unit("kind", row.key) * len(spoilers))
        return spoilers[which % len(spoilers)](row)

    return corrupt


def _feb_30(at: datetime.datetime, pattern: str) -> str:
    """The row's date and time written as 30 February of its year: no such day."""
    return (
        pattern.replace("%d", "30")
        .replace("%m", "02")
        .replace("%b", "Feb")
        .replace("%Y", str(at.year))
        .replace("%H", f"{at.hour:02d}")
        .replace("%M", f"{at.minute:02d}")
        .replace("%S", "00")
    )


def _bad_postcode(postcode: str) -> str:
    """The postcode with its district digit typed as the letter I: "DDI 7QW"."""
    outward, _, inward = postcode.partition(" ")
    return f"{outward[:2]}I {inward}"


def _police_row(gen: Generator, rng: random.Random, event: Event, code: str) -> _Row:
    org, name = POLICE_CODE, "police-occurrences.csv"
    place = gen.place_record(org, event.place)
    people = {
        role: gen.person_record(org, person, rng) if person else None
        for role, person in (
            ("victim", event.victim),
            ("subject", event.subject),
            ("reporter", event.reporter),
        )
    }
    occurred = event.at
    if event.recorders[0][0] != org:
        occurred += datetime.timedelta(minutes=rng.randint(5, 60))
    reported = occurred + datetime.timedelta(minutes=rng.randint(0, 90))
    partners, restricted = _sharing(rng, org, event.category)
    names = {role: _name(record) for role, record in people.items()}
    subject = people["subject"]
    aliases = ""
    if subject is not None and subject.person.given != subject.given:
        aliases = f"{subject.person.given} {subject.person.family}".upper()
    values = [
        f"PS-{occurred:%Y%m%d}-{event.index % 10000:04d}",
        reported.strftime("%d/%m/%Y %H:%M"),
        occurred.strftime("%d/%m/%Y %H:%M"),
        code,
        place.source_ref,
        ", ".join(p for p in (place.line_1, place.line_2) if p).upper(),
        place.postcode,
        str(place.easting) if place.easting is not None else "",
        str(place.northing) if place.northing is not None else "",
        _narrative(event.category, names),
        RISK_WORDS[org][event.risk],
        ";".join(POLICE_MARKERS[flag] for flag in event.flags),
        ";".join(partners),
        _yes(restricted),
        *_police_person(people["victim"]),
        *_police_person(subject),
        aliases,
        *_police_person(people["reporter"]),
    ]
    return _Row(
        values=values,
        tier=event.tier,
        key=f"{event.id}:{org}",
        source_ref=values[0],
        people=[r for r in people.values() if r is not None],
        places=[place],
        event=event,
        corrupt=_kinds(
            _spoil(name, "Incident Type", "unknown code", lambda row: UNKNOWN_CODES[org]),
            _spoil(
                name,
                "Date Occurred",
                "impossible date",
                lambda row: _feb_30(occurred, "%d/%m/%Y %H:%M"),
            ),
        ),
    )


def _fire_row(gen: Generator, rng: random.Random, event: Event, code: str) -> _Row:
    org, name = FIRE_CODE, "sfrs-incidents.csv"
    place = gen.place_record(org, event.place)
    # The fire service records who lives there, not who caused it.
    occupier_person = event.victim if event.place.is_home else None
    occupier = gen.person_record(org, occupier_person, rng) if occupier_person else None
    at = event.at
    if event.recorders[0][0] != org:
        at += datetime.timedelta(minutes=rng.randint(5, 40))
    partners, _ = _sharing(rng, org, event.category)
    address = ", ".join(p for p in (place.line_1, place.line_2, place.town) if p)
    values = [
        f"FR{at:%y}{event.index:06d}",
        at.strftime("%Y-%m-%d %H:%M:%S"),
        code,
        FIRE_PROPERTY_TYPES[event.place.property_type],
        place.source_ref,
        address,
        str(place.easting),
        str(place.northing),
        occupier.source_ref if occupier else "",
        occupier.given if occupier else "",
        occupier.family if occupier else "",
        _birth_text(occupier, "%d/%m/%Y", "%m/%Y") if occupier else "",
        {"male": "Male", "female": "Female"}.get(occupier.sex, "Not known") if occupier else "",
        _narrative(event.category, {"victim": _name(occupier)}),
        RISK_WORDS[org][event.risk],
        "; ".join(FIRE_RISK_FACTORS[flag] for flag in event.flags),
        ";".join(partners),
    ]
    return _Row(
        values=values,
        tier=event.tier,
        key=f"{event.id}:{org}",
        source_ref=values[0],
        people=[occupier] if occupier else [],
        places=[place],
        event=event,
        corrupt=_kinds(
            _spoil(name, "Incident Type", "unknown code", lambda row: UNKNOWN_CODES[org]),
            _spoil(
                name,
                "Time of Call",
                "impossible date",
                lambda row: _feb_30(at, "%Y-%m-%d %H:%M:%S"),
            ),
        ),
    )


def _council_person(record: HeldPerson | None, address: bool) -> list[object]:
    if record is None:
        return [""] * (7 if address else 5)
    values: list[object] = [
        record.source_ref,
        record.given,
        record.family,
        _birth_cell(record),
        {"male": "Male", "female": "Female"}.get(record.sex, "Unknown"),
    ]
    if address:
        values += [
            _address_line(record),
            record.address.postcode if record.postcode_given else "",
        ]
    return values


def _council_row(gen: Generator, rng: random.Random, event: Event, code: str) -> _Row:
    org, name = COUNCIL_CODE, "council-asb-cases.xlsx"
    place = gen.place_record(org, event.place)
    complainant = gen.person_record(org, event.victim, rng) if event.victim else None
    perpetrator = gen.person_record(org, event.subject, rng) if event.subject else None
    reported = min(event.at + datetime.timedelta(hours=rng.randint(1, 72)), gen.latest)
    partners, _ = _sharing(rng, org, event.category)
    # A spreadsheet: dates are date cells (the time a case was logged, the day it happened).
    values: list[object] = [
        f"ASB/{event.at:%Y}/{event.index:05d}",
        reported,
        datetime.datetime.combine(event.at.date(), datetime.time()),
        code,
        place.source_ref,
        ", ".join(p for p in (place.line_1, place.line_2) if p),
        place.postcode,
        place.place.uprn if event.place.is_home else "",
        _narrative(event.category, {"victim": _name(complainant), "subject": _name(perpetrator)}),
        RISK_WORDS[org][event.risk],
        ";".join(partners),
        *_council_person(complainant, address=False),
        *_council_person(perpetrator, address=True),
    ]
    return _Row(
        values=values,
        tier=event.tier,
        key=f"{event.id}:{org}",
        source_ref=values[0],
        people=[r for r in (complainant, perpetrator) if r is not None],
        places=[place],
        event=event,
        corrupt=_kinds(
            _spoil(name, "Category", "unknown code", lambda row: UNKNOWN_CODES[org]),
            _spoil(
                name, "Postcode", "bad postcode", lambda row: _bad_postcode(event.place.postcode)
            ),
            _spoil(
                name, "Incident Date", "impossible date", lambda row: _feb_30(event.at, "%d-%b-%Y")
            ),
        ),
    )


def _stock_values(record: HeldPlace) -> list[str]:
    place = record.place
    return [
        record.source_ref,
        record.line_1,
        record.line_2,
        record.town.upper(),
        record.postcode,
        place.uprn,
        HOUSING_PROPERTY_TYPES[place.property_type],
    ]


def _housing_row(gen: Generator, rng: random.Random, event: Event, code: str) -> _Row:
    org, name = HOUSING_CODE, "housing-asb-complaints.csv"
    place = gen.place_record(org, event.place)
    tenant = gen.person_record(org, event.subject, rng) if event.subject else None
    complainant = gen.person_record(org, event.victim, rng) if event.victim else None
    logged = min(event.at.date() + datetime.timedelta(days=rng.randint(0, 3)), gen.latest.date())
    partners, restricted = _sharing(rng, org, event.category)
    values = [
        f"HSG{event.index:06d}",
        logged.strftime("%d/%m/%Y"),
        code,
        RISK_WORDS[org][event.risk],
        _narrative(event.category, {"victim": _name(complainant), "subject": _name(tenant)}),
        *_stock_values(place),
        ";".join(partners),
        "Yes" if restricted else "No",
        *_housing_person(tenant),
        *_housing_person(complainant),
    ]
    return _Row(
        values=values,
        tier=event.tier,
        key=f"{event.id}:{org}",
        source_ref=values[0],
        people=[r for r in (tenant, complainant) if r is not None],
        places=[place],
        event=event,
        corrupt=_kinds(
            _spoil(name, "Complaint Type", "unknown code", lambda row: UNKNOWN_CODES[org]),
            _spoil(name, "Logged", "impossible date", lambda row: _feb_30(event.at, "%d/%m/%Y")),
        ),
    )


def _nhs_row(gen: Generator, rng: random.Random, event: Event, code: str) -> _Row:
    org, name = NHS_CODE, "nhs-ed-attendances.csv"
    patient = gen.person_record(org, event.victim or event.subject, rng)
    arrival = event.at + datetime.timedelta(minutes=rng.randint(20, 240))
    partners, restricted = _sharing(rng, org, event.category)
    triage = {"red": rng.choice("12"), "amber": "3", "green": rng.choice("45")}[event.risk]
    values = [
        f"ED{event.index:07d}",
        arrival.strftime("%Y-%m-%d %H:%M"),
        code,
        triage,
        _narrative(event.category, {"victim": _name(patient)}),
        ";".join(partners),
        _yes(restricted),
        *_nhs_person(patient),
    ]
    return _Row(
        values=values,
        tier=event.tier,
        key=f"{event.id}:{org}",
        source_ref=values[0],
        people=[patient],
        event=event,
        corrupt=_kinds(
            _spoil(name, "Presenting Complaint", "unknown code", lambda row: UNKNOWN_CODES[org]),
            _spoil(
                name, "Arrival", "impossible date", lambda row: _feb_30(arrival, "%Y-%m-%d %H:%M")
            ),
        ),
    )


_INCIDENT_ROWS: dict[str, Callable[[Generator, random.Random, Event, str], _Row]] = {
    POLICE_CODE: _police_row,
    FIRE_CODE: _fire_row,
    COUNCIL_CODE: _council_row,
    HOUSING_CODE: _housing_row,
    NHS_CODE: _nhs_row,
}


def _person_tier(gen: Generator, person: Person) -> int:
    return next(d for d in TIERS if person.index < gen.limits[d])


def _people_rows(gen: Generator, rows: dict[str, list[_Row]]) -> None:
    """The people and places files: council tenants and stock, and NHS patients. Who is in
    them depends on each person alone (not on the events a size includes)."""
    population = gen.population
    tenants_file, patients_file, stock_file = (
        "housing-tenants.csv",
        "nhs-patients.csv",
        "housing-stock.csv",
    )
    stock_tiers: dict[int, int] = {}
    for person in population.people:
        tier = _person_tier(gen, person)
        if person.tenancy:
            gen.person_record(HOUSING_CODE, person)
            for record in gen.person_records[(HOUSING_CODE, person.index)]:
                stock_tiers[record.address.index] = max(
                    stock_tiers.get(record.address.index, 1), tier
                )
                rows[tenants_file].append(
                    _Row(
                        values=_housing_person(record),
                        tier=tier,
                        key=record.source_ref,
                        source_ref=record.source_ref,
                        people=[record],
                        corrupt=_spoil(
                            tenants_file,
                            "Tenant DOB",
                            "impossible date of birth",
                            lambda row: f"30/02/{row.people[0].person.born.year}",
                        ),
                    )
                )
        if unit(gen.seed, "known to the NHS", person.id) < 0.3:
            gen.person_record(NHS_CODE, person)
            for record in gen.person_records[(NHS_CODE, person.index)]:
                rows[patients_file].append(
                    _Row(
                        values=_nhs_person(record),
                        tier=tier,
                        key=record.source_ref,
                        source_ref=record.source_ref,
                        people=[record],
                        corrupt=_spoil(
                            patients_file,
                            "CHI Number",
                            "CHI check digit wrong",
                            lambda row: _mistyped_chi(row.people[0].person.chi),
                        ),
                    )
                )
    # Every council home anyone lived in is on the stock list; a size keeps those of its people.
    for person in population.people:
        for home in person.homes:
            if home.place.tenure == "council":
                # Where anyone of the size lived (tenant or not) is on the size's list.
                stock_tiers[home.place.index] = max(
                    stock_tiers.get(home.place.index, 1), _person_tier(gen, person)
                )
    for place in population.places:
        if place.tenure != "council":
            continue
        record = gen.place_record(HOUSING_CODE, place)
        rows[stock_file].append(
            _Row(
                values=_stock_values(record),
                tier=max(tier_of(place.index), stock_tiers.get(place.index, 1)),
                key=record.source_ref,
                source_ref=record.source_ref,
                places=[record],
                corrupt=_spoil(
                    stock_file,
                    "Postcode",
                    "bad postcode",
                    lambda row: _bad_postcode(row.places[0].place.postcode),
                ),
            )
        )


def _mistyped_chi(chi: str) -> str:
    """The CHI number with one digit of its middle mistyped, so its check digit fails."""
    from saferhub.people.identifiers import chi_check_digit

    for position in (6, 7, 8):
        for digit in "0123456789":
            changed = chi[:position] + digit + chi[position + 1 :]
            if changed != chi and chi_check_digit(changed[:9]) != int(changed[9]):
                return changed
    return chi[:9] + str((int(chi[9]) + 1) % 10)


def _choose_bad_rows(seed: int, export: ExportFile, rows: list[_Row]) -> None:
    """Spoil a few rows on purpose: BAD_ROWS_PER_FILE of those in every size, and a small share
    of the rest. Which rows depends only on each row, so every size agrees."""
    ranked = sorted(
        (row for row in rows if row.tier == TIERS[0] and row.corrupt),
        key=lambda row: unit(seed, "bad", export.name, row.key),
    )
    # The rows in every size go wrong in different ways, so each size shows every way.
    for which, row in enumerate(ranked[:BAD_ROWS_PER_FILE]):
        row.bad = row.corrupt(row, which)
    for row in rows:
        spoil = row.bad is None and row.corrupt is not None
        if spoil and unit(seed, "bad", export.name, row.key) < BAD_ROW_RATE:
            row.bad = row.corrupt(row)


# The answer key ----------------------------------------------------------------------------


def _table(headings: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headings)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _answer_key(
    population: Population, good_rows: list[_Row], rejections: list[list[str]], divisor: int
) -> dict[str, bytes]:
    people: dict[tuple[str, str], HeldPerson] = {}
    places: dict[tuple[str, str], HeldPlace] = {}
    incidents: list[list[str]] = []
    for row in good_rows:
        for record in row.people:
            people[(record.organisation, record.source_ref)] = record
        for place in row.places:
            places[(place.organisation, place.source_ref)] = place
        if row.event is not None:
            organisation = row.key.split(":", 1)[1]
            incidents.append(
                [
                    row.event.id,
                    organisation,
                    row.source_ref,
                    row.event.category,
                    str(len(row.event.recorders)),
                ]
            )
    incidents.sort()
    limit = len(population.people) // divisor
    true_people = [p for p in population.people if p.index < limit]
    true_places = {r.place.index: r.place for r in places.values()}
    for person in true_people:
        for home in person.homes:
            true_places.setdefault(home.place.index, home.place)
    return {
        "answer-key/people.csv": _table(
            ["organisation", "source_ref", "person_id", "variations"],
            [
                [org, ref, record.person.id, ";".join(record.variations)]
                for (org, ref), record in sorted(people.items())
            ],
        ),
        "answer-key/places.csv": _table(
            ["organisation", "source_ref", "place_id", "variations"],
            [
                [org, ref, record.place.id, ";".join(record.variations)]
                for (org, ref), record in sorted(places.items())
            ],
        ),
        "answer-key/incidents.csv": _table(
            ["event_id", "organisation", "source_ref", "category", "recorded_by"], incidents
        ),
        "answer-key/true-people.csv": _table(
            [
                "person_id",
                "given_name",
                "family_name",
                "other_names",
                "sex",
                "date_of_birth",
                "chi_number",
                "household",
                "addresses",
            ],
            [
                [
                    p.id,
                    p.given,
                    p.family,
                    p.maiden_name,
                    p.sex,
                    p.born.isoformat(),
                    p.chi,
                    f"H{p.household:05d}",
                    "; ".join(
                        f"{h.place.id} {h.start.isoformat()}..{h.end.isoformat() if h.end else ''}"
                        for h in p.homes
                    ),
                ]
                for p in true_people
            ],
        ),
        "answer-key/true-places.csv": _table(
            [
                "place_id",
                "address_line_1",
                "address_line_2",
                "postcode",
                "uprn",
                "easting",
                "northing",
                "data_zone",
                "property_type",
                "tenure",
            ],
            [
                [
                    place.id,
                    place.line_1,
                    place.line_2,
                    place.postcode,
                    place.uprn,
                    str(place.easting),
                    str(place.northing),
                    place.data_zone,
                    place.property_type,
                    place.tenure,
                ]
                for _, place in sorted(true_places.items())
            ],
        ),
        "answer-key/rejections.csv": _table(
            ["file", "row", "source_ref", "column", "problem"], rejections
        ),
    }
