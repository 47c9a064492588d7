"""The people pages: search, a record, and the picker, at each level of sharing."""

import ast
import re
from pathlib import Path

import pytest
import yaml

import saferhub
from saferhub.audit.models import AuditEvent, AuditSubject
from saferhub.partnerships.models import Partnership, RoleAssignment
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply
from saferhub.people.services import person_record_update
from tests.conftest import EXAMPLE_FILE
from tests.incidents.conftest import client_for
from tests.people.conftest import BORN, appears_in, chi_for, hold_person

pytestmark = pytest.mark.django_db

PEOPLE = "/partnerships/fife/people/"
PSEUDONYM = re.compile(r"Person [A-Z2-7]{4}-[A-Z2-7]{4}")
# Everything about Margaret that only the personal level may show.
SECRETS = (
    "Margaret",
    "Haddow",
    "Peggy",
    "1948",
    "17 May",
    chi_for(BORN),
    "12 Hilltown",
    "KY1 1AA",
    "01592",
    "peggy.haddow",
    "ASB-P-0042",
)


def _options(fragment: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', fragment)


def test_the_holder_finds_and_reads_its_own_record_and_nothing_is_audited(shared_margaret, staff):
    client = client_for(staff["fife-council-asb"])
    results = client.get(PEOPLE, {"name": "haddow"}).content.decode()
    assert "<strong>1</strong> person matches" in results
    assert f'href="{PEOPLE}{shared_margaret.pk}/"' in results
    assert "Also known as Peggy Haddow" in results
    page = client.get(f"{PEOPLE}{shared_margaret.pk}/").content.decode()
    for detail in ("Margaret", "Haddow", "17 May 1948", chi_for(BORN), "12 Hilltown", "KY1 1AA"):
        assert detail in page, detail
    assert "Your organisation holds this record." in page
    assert "<strong>1</strong> incident you may see" in page
    assert "This record has not changed since it was recorded." in page
    assert not AuditEvent.objects.exists()


def test_a_partner_under_a_personal_protocol_reads_it_in_full_and_is_audited(
    shared_margaret, staff
):
    client = client_for(staff["police-fife"])
    page = client.get(f"{PEOPLE}{shared_margaret.pk}/").content.decode()
    for detail in ("Margaret", "17 May 1948", "12 Hilltown", "KY1 1AA", chi_for(BORN)):
        assert detail in page, detail
    assert "Shared under protocol fife-isp, version 3." in page
    assert "History" not in page  # the holder's business
    event = AuditEvent.objects.get(record_type="person_record")
    assert (event.action, event.record_id, event.purpose) == ("read", shared_margaret.pk, "tasking")
    assert (event.level, event.basis, event.protocol_code, event.protocol_version) == (
        "personal",
        "protocol",
        "fife-isp",
        3,
    )
    assert (event.partnership_code, event.owner_code, event.actor_organisation) == (
        "fife",
        "fife-council-asb",
        "police-fife",
    )
    assert AuditSubject.objects.filter(event_id=event.sequence).exists()
    # The incidents shown beside the record are reads of the council's incidents too.
    assert AuditEvent.objects.filter(record_type="incident", level="personal").count() == 1
    client.get(PEOPLE, {"name": "haddow"})
    assert AuditEvent.objects.filter(record_type="person_record").count() == 2


def test_a_depersonalised_partner_sees_a_pseudonym_age_band_and_sex_only(shared_margaret, staff):
    client = client_for(staff["kingdom-ha"])
    response = client.get(f"{PEOPLE}{shared_margaret.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    for secret in SECRETS:
        assert secret not in page, secret
    [pseudonym] = set(PSEUDONYM.findall(page))
    assert "75 and over" in page and "Female" in page
    assert "Shared under protocol fife-asb, version 1." in page
    # The same pseudonym as on the incident's own page.
    [incident_id] = re.findall(r'href="/partnerships/fife/incidents/(\d+)/"', page)
    incident_page = client.get(f"/partnerships/fife/incidents/{incident_id}/").content.decode()
    assert pseudonym in incident_page
    event = AuditEvent.objects.get(record_type="person_record")
    assert (event.level, event.protocol_code, event.protocol_version) == (
        "depersonalised",
        "fife-asb",
        1,
    )


def test_a_depersonalised_record_is_not_found_by_search_or_offered_by_the_picker(
    shared_margaret, staff
):
    client = client_for(staff["kingdom-ha"])
    for query in ({"name": "haddow"}, {"date_of_birth": "17/5/1948"}, {"chi": chi_for(BORN)}):
        page = client.get(PEOPLE, query).content.decode()
        assert "No people match your search." in page, query
        assert "Haddow" not in page
    assert _options(client.get(f"{PEOPLE}choices/", {"q": "hadd"}).content.decode()) == []
    assert not AuditEvent.objects.exists()


def test_a_partner_without_a_protocol_is_told_the_record_does_not_exist(shared_margaret, staff):
    client = client_for(staff["nhs-fife"])
    hidden = client.get(f"{PEOPLE}{shared_margaret.pk}/")
    missing = client.get(f"{PEOPLE}{shared_margaret.pk + 1000}/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    page = client.get(PEOPLE, {"name": "haddow", "chi": chi_for(BORN)}).content.decode()
    assert "No people match your search." in page
    assert _options(client.get(f"{PEOPLE}choices/", {"q": "haddow"}).content.decode()) == []
    assert not AuditEvent.objects.exists()


def test_a_record_the_reader_may_not_see_does_not_change_what_their_search_says(staff):
    housing = staff["kingdom-ha"]
    own = hold_person(housing, "KHA-7", given_name="Margaret", family_name="Haddow")
    client = client_for(housing)

    def results() -> tuple[str, list[str]]:
        page = client.get(PEOPLE, {"name": "haddow"}).content.decode()
        count = re.search(r'<p role="status" id="result-count">(.*?)</p>', page)[1]
        return count, re.findall(rf'href="{PEOPLE}(\d+)/"', page)

    before = results()
    assert before == ("<strong>1</strong> person matches.", [str(own.pk)])
    council = staff["fife-council-asb"]
    theirs = hold_person(council, "ASB-P-1", given_name="Margaret", family_name="Haddow")
    appears_in(theirs, council, themes=["asb"], relevant_partners=["kingdom-ha"])  # depersonalised
    hold_person(staff["nhs-fife"], "NHS-1", given_name="Margaret", family_name="Haddow")
    assert results() == before


def test_a_manager_sees_no_person_records(shared_margaret, manager):
    client = client_for(manager)
    page = client.get(PEOPLE, {"name": "haddow"}).content.decode()
    assert "works with figures, not people" in page
    assert "Haddow" not in page
    assert client.get(f"{PEOPLE}{shared_margaret.pk}/").status_code == 404
    assert _options(client.get(f"{PEOPLE}choices/", {"q": "haddow"}).content.decode()) == []


def test_a_restricted_incident_shows_its_people_to_its_relevant_partners_only(margaret, staff):
    appears_in(margaret, staff["fife-council-asb"], restricted=True, relevant_partners=["nhs-fife"])
    nhs = client_for(staff["nhs-fife"]).get(f"{PEOPLE}{margaret.pk}/").content.decode()
    assert "Margaret" in nhs and "12 Hilltown" in nhs
    assert "named on it as a relevant partner" in nhs
    for code in ("police-fife", "sfrs-fife", "kingdom-ha"):
        client = client_for(staff[code])
        assert client.get(f"{PEOPLE}{margaret.pk}/").status_code == 404, code
        assert "No people match" in client.get(PEOPLE, {"name": "haddow"}).content.decode()


def test_the_picker_offers_the_users_own_records_only(shared_margaret, staff):
    mine = client_for(staff["fife-council-asb"]).get(f"{PEOPLE}choices/", {"q": "marg had"})
    assert mine.status_code == 200
    assert _options(mine.content.decode()) == [str(shared_margaret.pk)]
    assert "Margaret Haddow, born 17 May 1948 (ASB-P-0042)" in mine.content.decode()
    # The police may read Margaret in full, but may not point their incidents at her.
    theirs = client_for(staff["police-fife"]).get(f"{PEOPLE}choices/", {"q": "haddow"})
    assert _options(theirs.content.decode()) == []
    assert "No person records of yours match" in theirs.content.decode()


def test_the_record_page_lists_each_incident_at_the_readers_own_level(shared_margaret, staff):
    council = staff["fife-council-asb"]
    appears_in(shared_margaret, council, themes=["fire_safety"])  # fife-isp: not housing's
    police = client_for(staff["police-fife"]).get(f"{PEOPLE}{shared_margaret.pk}/")
    assert "<strong>2</strong> incidents you may see" in police.content.decode()
    housing = client_for(staff["kingdom-ha"]).get(f"{PEOPLE}{shared_margaret.pk}/")
    page = housing.content.decode()
    assert "<strong>1</strong> incident you may see" in page
    assert '<td data-heading="You see">Depersonalised</td>' in page


def test_the_holder_sees_the_records_history(margaret, staff):
    council = staff["fife-council-asb"]
    person_record_update(user=council, record=margaret, changes={"family_name": "Reid"})
    page = client_for(council).get(f"{PEOPLE}{margaret.pk}/").content.decode()
    assert "This record has changed 1 time." in page
    assert "Family name" in page and "The hub&#x27;s pages" in page


def test_a_search_that_cannot_be_read_says_why(staff):
    client = client_for(staff["police-fife"])
    response = client.get(PEOPLE, {"date_of_birth": "soon", "chi": "123"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Enter the date of birth like 27/3/1984" in page
    assert "A CHI number is 10 digits" in page


def test_an_empty_search_shows_only_the_form(margaret, staff):
    page = client_for(staff["fife-council-asb"]).get(PEOPLE).content.decode()
    assert 'aria-current="page">People</a>' in page
    assert "Results" not in page and "Haddow" not in page


def test_a_partnerships_pages_show_only_what_reaches_the_reader_through_it(margaret, staff):
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["partnership"].update(code="kinross", name="Kinross Partnership")
    data["users"] = []
    partnership_apply(document=validate_partnership_data(data))
    kinross = Partnership.objects.get(code="kinross")
    police = staff["police-fife"]
    RoleAssignment.objects.create(user=police, partnership=kinross, role="practitioner")
    council = staff["fife-council-asb"]
    RoleAssignment.objects.create(user=council, partnership=kinross, role="practitioner")
    appears_in(margaret, council, partnership=kinross, themes=["asb"])
    client = client_for(police)
    assert client.get(f"/partnerships/kinross/people/{margaret.pk}/").status_code == 200
    assert client.get(f"{PEOPLE}{margaret.pk}/").status_code == 404
    assert "No people match" in client.get(PEOPLE, {"name": "haddow"}).content.decode()
    kinross_search = client.get("/partnerships/kinross/people/", {"name": "haddow"})
    assert "<strong>1</strong> person matches" in kinross_search.content.decode()


SENSITIVE = {
    "PersonRecord",
    "PersonAddress",
    "PersonRecordRevision",
    "PlaceRecord",
    "PlaceRecordRevision",
    "Incident",
    "IncidentPerson",
}


def test_the_people_and_places_pages_read_records_only_through_selectors():
    source = Path(saferhub.__file__).parent
    offenders = []
    for path in (source / "people" / "views.py", source / "places" / "views.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("objects", "_default_manager", "_base_manager")
                and isinstance(node.value, ast.Name)
                and node.value.id in SENSITIVE
            ):
                offenders.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    assert offenders == []
