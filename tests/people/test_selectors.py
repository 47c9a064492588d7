"""Finding person records, and the sharing rule every read goes through."""

import datetime

import pytest

from saferhub.partnerships.models import User
from saferhub.people.models import PersonRecord
from saferhub.people.selectors import (
    people_already_known,
    person_choices,
    person_record_visible_to,
    person_records_visible_to,
    person_search,
)
from saferhub.sharing.models import Level
from tests.people.conftest import BORN, appears_in, chi_for, hold_person, reader

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text",
    [
        "Haddow",
        "haddow",
        "HÁDDOW",
        "Margaret Haddow",
        "haddow margaret",
        "m haddow",
        "marg",
        "margaret had",
        "Peggy",
        "peggy haddow",
        "margarethaddow",
    ],
)
def test_a_name_is_found_by_its_folded_keys_in_either_order(margaret, staff, text):
    found = person_search(reader=reader(staff["fife-council-asb"]), text=text)
    assert found == [margaret], text


@pytest.mark.parametrize("text", ["argaret", "Margaret Kelso", "haddowx", "!!!", "peggy kelso"])
def test_a_name_that_is_not_theirs_finds_nothing(margaret, staff, text):
    assert person_search(reader=reader(staff["fife-council-asb"]), text=text) == []


def test_nothing_asked_finds_nothing(margaret, staff):
    assert person_search(reader=reader(staff["fife-council-asb"])) == []


def test_a_date_of_birth_matches_what_each_record_knows(staff):
    police = staff["police-fife"]
    hold_person(police, "P1", family_name="Day", date_of_birth="1984-03-12")
    hold_person(police, "P2", family_name="Month", date_of_birth="03/1984")
    hold_person(police, "P3", family_name="Year", date_of_birth="1984")
    hold_person(police, "P4", family_name="Unknown")
    hold_person(police, "P5", family_name="Other", date_of_birth="1985-03-12")
    me = reader(police)

    def born(value):
        return {p.family_name for p in person_search(reader=me, date_of_birth=value)}

    assert born(datetime.date(1984, 3, 12)) == {"Day", "Month", "Year"}
    assert born(datetime.date(1984, 4, 12)) == {"Year"}
    assert born((datetime.date(1984, 3, 1), "month")) == {"Day", "Month", "Year"}
    assert born((datetime.date(1984, 1, 1), "year")) == {"Day", "Month", "Year"}
    assert born((datetime.date(1985, 1, 1), "year")) == {"Other"}
    assert born(BORN) == set()


def test_criteria_combine_and_a_chi_number_is_matched_exactly(margaret, staff):
    me = reader(staff["fife-council-asb"])
    chi = chi_for(BORN)
    assert person_search(reader=me, chi=f"{chi[:6]}-{chi[6:]}") == [margaret]
    assert person_search(reader=me, chi=chi_for(BORN, serial=200)) == []
    assert person_search(reader=me, text="haddow", date_of_birth=BORN) == [margaret]
    assert person_search(reader=me, text="haddow", date_of_birth=datetime.date(1950, 1, 1)) == []


def test_the_limit_holds(staff):
    police = staff["police-fife"]
    for number in range(4):
        hold_person(police, f"P{number}", family_name="Reid")
    assert len(person_search(reader=reader(police), text="reid", limit=3)) == 3


# The sharing rule, through the selectors.


def test_a_partner_covered_by_a_personal_protocol_finds_the_record(shared_margaret, staff):
    for code in ("police-fife", "sfrs-fife"):
        assert person_search(reader=reader(staff[code]), text="haddow") == [shared_margaret]
        _, access, incident = person_record_visible_to(
            reader=reader(staff[code]), record_id=shared_margaret.pk
        )
        assert access.level == Level.PERSONAL
        assert (access.shared_under.protocol_code, access.shared_under.protocol_version) == (
            "fife-isp",
            3,
        )
        assert incident is not None


def test_a_depersonalised_record_is_never_found_by_search(shared_margaret, staff):
    """Finding a pseudonymised record by a name would say whose pseudonym it is."""
    housing = reader(staff["kingdom-ha"])
    assert shared_margaret in person_records_visible_to(reader=housing)
    _, access, _ = person_record_visible_to(reader=housing, record_id=shared_margaret.pk)
    assert access.level == Level.DEPERSONALISED
    assert person_search(reader=housing, text="haddow") == []
    assert person_search(reader=housing, date_of_birth=BORN) == []
    assert person_search(reader=housing, chi=chi_for(BORN)) == []


def test_a_partner_without_a_protocol_sees_nothing_of_the_record(shared_margaret, staff):
    nhs = reader(staff["nhs-fife"])
    assert person_search(reader=nhs, text="haddow") == []
    assert shared_margaret not in person_records_visible_to(reader=nhs, at_least=Level.AGGREGATE)
    with pytest.raises(PersonRecord.DoesNotExist):
        person_record_visible_to(reader=nhs, record_id=shared_margaret.pk)


def test_a_manager_sees_no_person_records_not_even_their_own_organisations(shared_margaret, fife):
    manager = reader(User.objects.get(username="sam.boyd"))  # fife-council-asb, figures only
    assert person_search(reader=manager, text="haddow") == []
    assert not person_records_visible_to(reader=manager).exists()
    with pytest.raises(PersonRecord.DoesNotExist):
        person_record_visible_to(reader=manager, record_id=shared_margaret.pk)


def test_a_restricted_incident_shows_its_people_to_its_relevant_partners_only(margaret, staff):
    appears_in(margaret, staff["fife-council-asb"], restricted=True, relevant_partners=["nhs-fife"])
    assert person_search(reader=reader(staff["nhs-fife"]), text="haddow") == [margaret]
    for code in ("police-fife", "kingdom-ha"):  # fife-isp would cover asb, were it not restricted
        assert person_search(reader=reader(staff[code]), text="haddow") == []
        with pytest.raises(PersonRecord.DoesNotExist):
            person_record_visible_to(reader=reader(staff[code]), record_id=margaret.pk)


def test_a_record_in_no_incident_is_its_holders_alone(margaret, staff):
    assert person_search(reader=reader(staff["police-fife"]), text="haddow") == []
    assert person_search(reader=reader(staff["fife-council-asb"]), text="haddow") == [margaret]


# Picking a person for an incident, and the "already known" warning: own records only.


def test_the_picker_offers_only_the_readers_own_records(shared_margaret, staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    mine = person_choices(
        reader=reader(council), organisation_id=council.organisation_id, text="hadd"
    )
    assert mine == [shared_margaret]
    # The police see Margaret in full, but an incident of theirs may not point at her.
    for user in (police, staff["kingdom-ha"], staff["nhs-fife"]):
        assert (
            person_choices(reader=reader(user), organisation_id=user.organisation_id, text="hadd")
            == []
        )
    assert (
        person_choices(reader=reader(police), organisation_id=council.organisation_id, text="ha")
        == []
    )


def test_a_person_already_held_is_recognised_by_folded_names_and_birth(margaret, staff):
    council = reader(staff["fife-council-asb"])

    def known(given, family, born):
        return people_already_known(
            reader=council, given_name=given, family_name=family, date_of_birth=born
        )

    assert known("MARGARET", "haddow", BORN) == [margaret]
    assert known("Haddow", "Margaret", BORN) == [margaret]  # swapped round
    assert known("Margaret", "Haddow", (datetime.date(1948, 1, 1), "year")) == [margaret]
    assert known("Margaret", "Haddow", None) == [margaret]
    assert known("Margaret", "Haddow", datetime.date(1948, 5, 18)) == []
    assert known("Margo", "Haddow", BORN) == []
    assert known("", "", BORN) == []


def test_only_the_readers_own_organisation_is_warned(shared_margaret, staff):
    police = reader(staff["police-fife"])  # sees Margaret in full, through the incident
    assert (
        people_already_known(
            reader=police, given_name="Margaret", family_name="Haddow", date_of_birth=BORN
        )
        == []
    )
