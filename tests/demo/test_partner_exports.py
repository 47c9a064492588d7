"""The Dundee partners' exports: deterministic, read by their profiles, as untidy as real
records, and with an answer key that tells the truth about them."""

import csv
import datetime
import io
import re
from collections import Counter, defaultdict

import pytest

from saferhub.demo.events import CATEGORIES, FULL_EVENTS, FULL_PEOPLE, ORGANISATION_CODES
from saferhub.demo.names import nicknames_of
from saferhub.demo.partner_exports import EXPORT_FILES, PROFILES_FILE, partner_exports
from saferhub.imports.profiles import VOCABULARIES, ProfileSpec, parse_profiles
from saferhub.people.identifiers import chi_number_problem

from .conftest import TODAY, answer_key, rows_of

INCIDENT_FILES = [f for f in EXPORT_FILES if f.kind == "incidents"]


@pytest.fixture(scope="module")
def profiles() -> dict[tuple[str, str], ProfileSpec]:
    specs = parse_profiles(PROFILES_FILE.read_text(), str(PROFILES_FILE))
    return {(spec.organisation, spec.name): spec for spec in specs}


def profile_of(profiles, export) -> ProfileSpec:
    return profiles[(export.organisation, export.profile)]


def good_rows(export_set, name: str) -> list[dict]:
    """The rows of a file, leaving out those spoiled on purpose."""
    bad = {int(r["row"]) for r in answer_key(export_set, "rejections") if r["file"] == name}
    return [
        row for number, row in enumerate(rows_of(export_set, name), start=2) if number not in bad
    ]


def known_codes(spec: ProfileSpec, field: str) -> set[str]:
    """What the import understands for a coded field: the profile's codes and the hub's."""
    return {c.lower() for c in spec.codes.get(field, {})} | set(VOCABULARIES[field])


def test_the_same_seed_gives_the_same_bytes(postcodes, tiny):
    again = partner_exports(postcodes=postcodes, today=TODAY, seed=2026, size="tiny")
    assert again.files == tiny.files
    other = partner_exports(postcodes=postcodes, today=TODAY, seed=7, size="tiny")
    assert other.files["police-occurrences.csv"] != tiny.files["police-occurrences.csv"]


def test_a_smaller_size_is_part_of_a_larger_one(tiny, small):
    # So loading one size after another adds rows and never contradicts them.
    for export in EXPORT_FILES:
        smaller = [tuple(row.items()) for row in rows_of(tiny, export.name)]
        larger = {tuple(row.items()) for row in rows_of(small, export.name)}
        assert smaller, export.name
        assert set(smaller) <= larger, export.name
        assert len(larger) > len(smaller), export.name


def test_the_small_size_is_a_tenth_of_two_years_of_dundee(small):
    manifest = small.manifest
    incidents = sum(f["rows"] for f in manifest["files"] if f["kind"] == "incidents")
    assert FULL_PEOPLE == 5000 and 18_000 <= FULL_EVENTS <= 20_000
    assert 1800 <= incidents <= 2200
    assert manifest["people"] == 500
    assert {f["organisation"] for f in manifest["files"]} == {
        "police-tayside",
        "sfrs-pkad",
        "dundee-council-cs",
        "dundee-council-housing",
        "nhs-tayside",
    }


def test_an_unknown_size_is_refused(postcodes):
    with pytest.raises(ValueError, match="size must be one of full, small, tiny"):
        partner_exports(postcodes=postcodes, today=TODAY, size="huge")


def test_every_profile_reads_its_file(tiny, profiles):
    for export in EXPORT_FILES:
        spec = profile_of(profiles, export)
        assert spec.kind == export.kind
        content = tiny.files[export.name]
        if export.name.endswith(".xlsx"):
            assert spec.file.sheet == "ASB Cases"
            headings = set(rows_of(tiny, export.name)[0])
        else:
            # Read the way the profile says: its encoding and delimiter.
            text = content.decode(spec.file.encoding)
            headings = set(next(csv.reader(io.StringIO(text), delimiter=spec.file.delimiter)))
        missing = set(spec.headings()) - headings
        assert not missing, f"{export.name} lacks {missing}"


def test_the_profiles_mean_by_each_code_what_the_partner_meant(profiles):
    for export in INCIDENT_FILES:
        spec = profile_of(profiles, export)
        meant = ORGANISATION_CODES[export.organisation]
        assert spec.codes["category"] == {code: hub for code, (hub, _, _) in meant.items()}
        assert spec.themes.codes == {
            code: themes or CATEGORIES[hub][0] for code, (hub, themes, _) in meant.items()
        }


def test_the_profiles_know_every_code_the_exports_use(small, profiles):
    for export in INCIDENT_FILES:
        spec = profile_of(profiles, export)
        themes = {code.lower() for code in spec.themes.codes}
        for row in good_rows(small, export.name):
            category = row[spec.columns["category"]]
            assert category.lower() in known_codes(spec, "category"), category
            assert category.lower() in themes, category
            assert str(row[spec.columns["risk"]]).lower() in known_codes(spec, "risk")
            flags = row.get(spec.columns.get("vulnerability_flags", ""), "")
            for flag in filter(None, (f.strip() for f in re.split("[;,]", flags))):
                assert flag.lower() in known_codes(spec, "vulnerability_flags"), flag
            for slot in spec.people:
                sex = slot.columns.sex and row[slot.columns.sex]
                if sex:
                    assert sex.lower() in known_codes(spec, "sex"), sex
            if spec.place and spec.place.property_type:
                assert row[spec.place.property_type].lower() in known_codes(spec, "property_type")


def test_the_spoiled_rows_are_spoiled_as_the_key_says(small, profiles):
    problems = Counter()
    for rejection in answer_key(small, "rejections"):
        export = next(f for f in EXPORT_FILES if f.name == rejection["file"])
        spec = profile_of(profiles, export)
        row = rows_of(small, export.name)[int(rejection["row"]) - 2]
        value = str(row[rejection["column"]])
        assert row[spec.columns["source_ref"]] == rejection["source_ref"]
        problem = rejection["problem"]
        problems[problem] += 1
        if problem == "unknown code":
            assert value.lower() not in known_codes(spec, "category")
        elif problem in ("impossible date", "impossible date of birth"):
            assert "30" in value and ("02" in value or "Feb" in value)
        elif problem == "bad postcode":
            assert re.match(r"^DDI ", value)
        elif problem == "CHI check digit wrong":
            assert chi_number_problem(value) is not None
    assert set(problems) == {
        "unknown code",
        "impossible date",
        "impossible date of birth",
        "bad postcode",
        "CHI check digit wrong",
    }
    # Every file has some, but only a few.
    per_file = Counter(r["file"] for r in answer_key(small, "rejections"))
    assert set(per_file) == {f.name for f in EXPORT_FILES}
    assert all(2 <= count <= 6 for count in per_file.values())


def test_source_references_are_unique_in_each_file(small, profiles):
    for export in EXPORT_FILES:
        spec = profile_of(profiles, export)
        references = [row[spec.columns["source_ref"]] for row in rows_of(small, export.name)]
        assert len(references) == len(set(references)), export.name


def test_the_answer_key_names_every_record_the_exports_hold(small, profiles):
    people, places, incidents = set(), set(), set()
    for export in EXPORT_FILES:
        spec = profile_of(profiles, export)
        org = export.organisation
        for row in good_rows(small, export.name):
            if export.kind == "people":
                people.add((org, row[spec.columns["source_ref"]]))
            elif export.kind == "places":
                places.add((org, row[spec.columns["source_ref"]]))
            else:
                incidents.add((org, row[spec.columns["source_ref"]]))
                for slot in spec.people:
                    if row[slot.columns.source_ref]:
                        people.add((org, row[slot.columns.source_ref]))
                if spec.place and row[spec.place.source_ref]:
                    places.add((org, row[spec.place.source_ref]))
    assert {(r["organisation"], r["source_ref"]) for r in answer_key(small, "people")} == people
    assert {(r["organisation"], r["source_ref"]) for r in answer_key(small, "places")} == places
    assert {
        (r["organisation"], r["source_ref"]) for r in answer_key(small, "incidents")
    } == incidents
    true_people = {r["person_id"] for r in answer_key(small, "true-people")}
    assert {r["person_id"] for r in answer_key(small, "people")} <= true_people
    true_places = {r["place_id"] for r in answer_key(small, "true-places")}
    assert {r["place_id"] for r in answer_key(small, "places")} <= true_places


def test_the_same_people_turn_up_across_partners(small):
    holders = defaultdict(set)
    for record in answer_key(small, "people"):
        holders[record["person_id"]].add(record["organisation"])
    spread = Counter(len(orgs) for orgs in holders.values())
    assert spread[1] and spread[2] and spread[3] and spread[4]
    # Some events were recorded by two partners.
    events = Counter(r["event_id"] for r in answer_key(small, "incidents"))
    assert sum(1 for count in events.values() if count > 1) > 20


def test_records_vary_the_way_real_records_do(small, profiles):
    truth = {r["person_id"]: r for r in answer_key(small, "true-people")}
    key = answer_key(small, "people")
    labels = Counter(label for r in key for label in filter(None, r["variations"].split(";")))
    for label in (
        "nickname",
        "typo_given",
        "typo_family",
        "swapped",
        "spelling",
        "no_birth_date",
        "birth_year_only",
        "birth_month_only",
        "day_month_swapped",
        "old_address",
        "no_postcode",
        "duplicate",
    ):
        assert labels[label] >= 3, label

    # The police file bears the key out: each record as the police wrote it.
    police = profile_of(
        profiles, next(f for f in EXPORT_FILES if f.profile == "police-occurrences")
    )
    written = {}
    for row in good_rows(small, "police-occurrences.csv"):
        for slot in police.people:
            c = slot.columns
            if row[c.source_ref]:
                written[row[c.source_ref]] = (
                    row[c.given_name],
                    row[c.family_name],
                    row[c.date_of_birth],
                )
    checked = Counter()
    for record in key:
        if record["organisation"] != "police-tayside":
            continue
        given, family, born = written[record["source_ref"]]
        true = truth[record["person_id"]]
        true_born = datetime.date.fromisoformat(true["date_of_birth"])
        variations = set(filter(None, record["variations"].split(";")))
        if variations == {"nickname"}:
            assert given.title() in nicknames_of(true["given_name"])
            assert family == true["family_name"].upper()
        elif variations == {"swapped"}:
            assert (given, family) == (true["family_name"].upper(), true["given_name"].upper())
        elif variations == {"birth_year_only"}:
            assert born == str(true_born.year)
        elif variations == {"day_month_swapped"}:
            assert born == f"{true_born.month:02d}/{true_born.day:02d}/{true_born.year}"
        elif variations == {"no_birth_date"}:
            assert born == ""
        elif not variations:
            assert (given, family) == (true["given_name"].upper(), true["family_name"].upper())
            assert born == true_born.strftime("%d/%m/%Y")
        else:
            continue
        checked[frozenset(variations)] += 1
    assert len(checked) >= 5

    # Duplicates: one partner holding two records of the same person.
    held = Counter((r["organisation"], r["person_id"]) for r in key)
    assert any(count > 1 for count in held.values())


def test_nhs_records_carry_valid_chi_numbers(small):
    truth = {r["chi_number"]: r for r in answer_key(small, "true-people")}
    rows = good_rows(small, "nhs-patients.csv")
    assert rows
    for row in rows:
        born = datetime.date.fromisoformat(row["Date of Birth"])
        assert chi_number_problem(row["CHI Number"], born) is None
        assert truth[row["CHI Number"]]["date_of_birth"] == row["Date of Birth"]


def test_every_place_lies_in_its_data_zone(small, postcodes):
    squares = {p.data_zone: p.bounds for p in postcodes}
    zone_of_postcode = {p.postcode: p.data_zone for p in postcodes}
    for place in answer_key(small, "true-places"):
        west, south, east, north = squares[place["data_zone"]]
        assert west < float(place["easting"]) < east
        assert south < float(place["northing"]) < north
        assert zone_of_postcode[place["postcode"]] == place["data_zone"]
    # The fire service gives no postcodes, only grid references, inside the right zone.
    truth = {p["place_id"]: p for p in answer_key(small, "true-places")}
    fire_places = {
        r["source_ref"]: truth[r["place_id"]]
        for r in answer_key(small, "places")
        if r["organisation"] == "sfrs-pkad"
    }
    for row in good_rows(small, "sfrs-incidents.csv"):
        west, south, east, north = squares[fire_places[row["Location ID"]]["data_zone"]]
        assert west < float(row["Easting"]) < east and south < float(row["Northing"]) < north


def test_nothing_is_dated_on_or_after_the_day_of_the_exports(small):
    latest = datetime.datetime.combine(TODAY, datetime.time())
    earliest = latest - datetime.timedelta(days=2 * 365 + 3)
    for row in rows_of(small, "police-occurrences.csv"):
        for column in ("Date Occurred", "Date Reported"):
            if not row[column].startswith("30/02"):
                moment = datetime.datetime.strptime(row[column], "%d/%m/%Y %H:%M")
                assert earliest < moment < latest
    for row in rows_of(small, "council-asb-cases.xlsx"):
        if isinstance(row["Date Reported"], datetime.datetime):
            assert row["Incident Date"] <= row["Date Reported"] < latest
