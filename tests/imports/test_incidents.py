"""Incidents link the place and person records of their organisation, with roles, themes
and relevant partners; XLSX reads as CSV does."""

import datetime

import pytest
from openpyxl import Workbook

from saferhub.incidents.models import Incident, IncidentPerson
from saferhub.partnerships.themes import ThemeBook
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from tests.imports.conftest import INCIDENT_HEADINGS, incident_row, run_import, write_csv

pytestmark = pytest.mark.django_db


def test_an_incident_links_its_place_and_people_with_roles(profiles, tmp_path, fife):
    row = incident_row(
        1,
        Incident_Type="domestic",
        Suspect_Forename="Jon",
        Suspect_Surname="O'Brien",
        Suspect_DOB="1979",
        Flags="MH, alc",
        Partners="nhs-fife; fife-council-asb",
        Restricted="Y",
        Risk="",
    )
    run = run_import(write_csv(tmp_path / "a.csv", [row]), profiles["police-occurrences"])
    assert run.rows_inserted == 1, list(run.rejections.values_list("field", "reason"))
    incident = Incident.objects.get()
    assert incident.partnership == fife
    assert incident.owner.code == "police-fife"
    assert incident.category == "domestic_incident"
    assert incident.risk == "green"  # the profile's default for an empty cell
    assert incident.restricted
    assert incident.vulnerability_flags == ["mental_health", "substance_misuse"]
    themes = {t.code for t in ThemeBook.of(fife).themes_in(incident.theme_mask)}
    assert themes == {"domestic_abuse", "violence"}
    assert sorted(incident.relevant_partners.values_list("code", flat=True)) == [
        "fife-council-asb",
        "nhs-fife",
    ]
    # 1 March 2025 22:01 in Scotland is GMT.
    assert incident.occurred_at == datetime.datetime(2025, 3, 2, 22, 1, tzinfo=datetime.UTC)
    assert (incident.address, incident.postcode) == ("1 High Street", "DD1 4HN")
    assert incident.place_record.source_ref == "LOC1"
    victim, suspect = IncidentPerson.objects.order_by("pk")
    assert (victim.role, victim.given_name, victim.sex) == ("victim", "Ann", "female")
    assert victim.person_record.source_ref == "V1"
    assert victim.date_of_birth == datetime.date(1984, 3, 12)
    assert suspect.role == "perpetrator"
    # Without a reference column the person is known by the folded name and birth date.
    assert suspect.person_record.source_ref.startswith("auto-")
    assert suspect.person_record.family_key == "obrien"
    assert suspect.person_record.date_of_birth_precision == "year"


def test_people_and_places_named_by_many_incidents_are_one_record_each(profiles, tmp_path):
    rows = [incident_row(n, Victim_ID="V9", Location_ID="LOC9") for n in range(1, 6)]
    run_import(write_csv(tmp_path / "a.csv", rows), profiles["police-occurrences"])
    assert PersonRecord.objects.count() == 1
    assert PlaceRecord.objects.count() == 1
    assert IncidentPerson.objects.filter(person_record__source_ref="V9").count() == 5


def test_a_derived_person_reference_is_stable_across_spellings(profiles, tmp_path):
    rows = [
        incident_row(1, Suspect_Forename="Seán", Suspect_Surname="O'Neill", Suspect_DOB="2/3/1990"),
        incident_row(
            2, Suspect_Forename="sean", Suspect_Surname="ONEILL", Suspect_DOB="02/03/1990"
        ),
    ]
    run_import(write_csv(tmp_path / "a.csv", rows), profiles["police-occurrences"])
    suspects = IncidentPerson.objects.filter(role="perpetrator")
    assert suspects.count() == 2
    assert len({p.person_record_id for p in suspects}) == 1


def test_an_incident_row_fills_in_a_person_record_without_blanking_it(profiles, tmp_path):
    PersonRecord.objects.create(
        organisation=profiles["police-occurrences"].organisation,
        source_ref="V1",
        given_name="Annie",
        family_name="Smith1",
        phone="01234 567890",
    )
    run_import(write_csv(tmp_path / "a.csv", [incident_row(1)]), profiles["police-occurrences"])
    record = PersonRecord.objects.get(source_ref="V1")
    assert (record.given_name, record.phone) == ("Ann", "01234 567890")
    assert record.revisions.get().before["given_name"] == "Annie"


def test_an_xlsx_workbook_imports_like_a_csv(profiles, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(INCIDENT_HEADINGS)
    row = incident_row(1)
    values = [row[h] for h in INCIDENT_HEADINGS]
    # As Excel holds them: dates as dates, numbers as numbers.
    values[INCIDENT_HEADINGS.index("Date Occurred")] = datetime.datetime(2025, 7, 1, 9, 30)
    values[INCIDENT_HEADINGS.index("Date Reported")] = None
    values[INCIDENT_HEADINGS.index("Victim DOB")] = datetime.datetime(1984, 3, 12)
    values[INCIDENT_HEADINGS.index("X")] = 340250
    values[INCIDENT_HEADINGS.index("Y")] = 730250.0
    sheet.append(values)
    sheet.append([None] * len(INCIDENT_HEADINGS))
    sheet.append([row[h] for h in INCIDENT_HEADINGS[:2]] + ["", "NOPE"] + [""] * 18)
    path = tmp_path / "occurrences.xlsx"
    book.save(path)
    run = run_import(path, profiles["police-occurrences"])
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (2, 1, 1)
    assert run.rejections.first().row_number == 4
    incident = Incident.objects.get()
    # 1 July 2025 09:30 in Scotland is British Summer Time: 08:30 UTC.
    assert incident.occurred_at == datetime.datetime(2025, 7, 1, 8, 30, tzinfo=datetime.UTC)
    assert incident.reported_at == incident.occurred_at
    assert incident.place_record.easting == 340250
    assert IncidentPerson.objects.get().date_of_birth == datetime.date(1984, 3, 12)
