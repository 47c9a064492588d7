"""Recording and changing person records (saferhub.people.services)."""

import datetime

import pytest

from saferhub.people.models import PersonRecordRevision
from saferhub.people.services import (
    AddressInput,
    PersonRecordInput,
    PersonRecordInvalid,
    person_record_create,
    person_record_update,
)
from tests.people.conftest import BORN, chi_for, hold_person

pytestmark = pytest.mark.django_db


def test_a_record_is_stored_with_its_names_folded_for_search(margaret):
    assert (margaret.given_key, margaret.family_key) == ("margaret", "haddow")
    assert margaret.other_keys == " peggyhaddow peggy haddow "
    assert (margaret.date_of_birth, margaret.date_of_birth_precision) == (BORN, "day")
    [address] = margaret.addresses.all()
    assert (address.address, address.postcode) == ("12 Hilltown, Kirkcaldy", "KY1 1AA")
    assert address.lived_from == datetime.date(2001, 4, 1)


def test_a_chi_number_is_stored_as_ten_digits(staff):
    chi = chi_for(BORN)
    person = hold_person(
        staff["nhs-fife"],
        "N1",
        family_name="Haddow",
        date_of_birth="17/05/1948",
        chi_number=f"{chi[:6]} {chi[6:]}",
    )
    assert person.chi_number == chi


@pytest.mark.parametrize(
    ("text", "stored", "precision"),
    [
        ("1984", datetime.date(1984, 1, 1), "year"),
        ("03/1984", datetime.date(1984, 3, 1), "month"),
        ("1984-03-12", datetime.date(1984, 3, 12), "day"),
    ],
)
def test_a_partial_date_of_birth_is_kept_with_how_much_is_known(staff, text, stored, precision):
    person = hold_person(staff["police-fife"], "P1", family_name="Reid", date_of_birth=text)
    assert (person.date_of_birth, person.date_of_birth_precision) == (stored, precision)


def test_every_problem_is_reported_at_once_and_nothing_is_stored(staff, margaret):
    council = staff["fife-council-asb"]
    chi = chi_for(BORN)
    with pytest.raises(PersonRecordInvalid) as refused:
        person_record_create(
            user=council,
            organisation=council.organisation,
            data=PersonRecordInput(
                source_ref="ASB-P-0042",  # margaret's
                date_of_birth="next Tuesday",
                chi_number=chi[:9] + str((int(chi[9]) + 1) % 10),
                email="not an address",
                phone="call me",
                sex="sometimes",
                addresses=[
                    AddressInput("", "nowhere"),
                    AddressInput("1 Main St", "", "2020-01-01", "2019-01-01"),
                ],
            ),
        )
    assert refused.value.errors == {
        "source_ref": "Your organisation already has a person record with reference ASB-P-0042",
        "family_name": "Enter a given name or a family name",
        "date_of_birth": (
            "'next Tuesday' is not a date (expected a full date, a month and year, or a year)"
        ),
        "sex": "Unknown sex 'sometimes': one of female, male, other, unknown",
        "chi_number": "The CHI number's check digit is wrong (a mistyped digit?)",
        "phone": "Enter a phone number with digits, spaces and + ( ) - only",
        "email": "Enter an email address like name@example.org",
        "addresses[0].address": "Enter the address",
        "addresses[0].postcode": "'nowhere' is not a UK postcode (expected something like DD1 4HN)",
        "addresses[1].lived_to": "The person cannot have left before they arrived",
    }
    assert council.organisation.person_records.count() == 1


def test_the_chi_number_must_agree_with_the_date_of_birth(staff):
    police = staff["police-fife"]
    chi = chi_for(BORN)
    for born in ("18/05/1948", "06/1948", "1949"):
        with pytest.raises(PersonRecordInvalid) as refused:
            hold_person(police, "P1", family_name="Reid", date_of_birth=born, chi_number=chi)
        assert "chi_number" in refused.value.errors, born
    for born in ("17/05/1948", "05/1948", "1948", None):
        hold_person(police, f"P-{born}", family_name="Reid", date_of_birth=born, chi_number=chi)


def test_a_date_of_birth_cannot_be_in_the_future(staff):
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    with pytest.raises(PersonRecordInvalid) as refused:
        hold_person(staff["police-fife"], "P1", family_name="Reid", date_of_birth=tomorrow)
    assert refused.value.errors == {"date_of_birth": "The date of birth cannot be in the future"}


def test_the_same_reference_may_be_used_by_another_organisation(margaret, staff):
    other = hold_person(staff["police-fife"], "ASB-P-0042", family_name="Haddow")
    assert other.organisation.code == "police-fife"


def test_a_record_is_made_only_for_the_users_own_organisation(staff):
    with pytest.raises(PermissionError):
        person_record_create(
            user=staff["police-fife"],
            organisation=staff["nhs-fife"].organisation,
            data={"source_ref": "X", "family_name": "Reid"},
        )


def test_a_record_can_be_given_as_a_plain_mapping_and_unknown_fields_are_refused(staff):
    nhs = staff["nhs-fife"]
    person = person_record_create(
        user=nhs,
        organisation=nhs.organisation,
        data={
            "source_ref": "N7",
            "given_name": "Ann",
            "family_name": "Reid",
            "addresses": [{"address": "4 Mill Wynd", "postcode": "KY1 1AB"}],
        },
    )
    assert person.addresses.get().postcode == "KY1 1AB"
    with pytest.raises(PersonRecordInvalid) as refused:
        person_record_create(
            user=nhs, organisation=nhs.organisation, data={"source_ref": "N8", "nickname": "x"}
        )
    assert refused.value.errors == {"nickname": "This is not a field of a person record"}


def test_a_change_keeps_what_the_record_said_before(margaret, staff):
    council = staff["fife-council-asb"]
    person_record_update(
        user=council,
        record=margaret,
        changes={"family_name": "Haddow-Reid", "other_names": ["Peggy"]},
        changed_through="import run 7",
    )
    margaret.refresh_from_db()
    assert (margaret.family_name, margaret.family_key) == ("Haddow-Reid", "haddowreid")
    assert margaret.other_keys == " peggy "
    revision = margaret.revisions.get()
    assert revision.before["family_name"] == "Haddow"
    assert revision.before["other_names"] == ["Peggy Haddow"]
    assert revision.before["date_of_birth"] == "1948-05-17"
    assert revision.before["addresses"][0]["postcode"] == "KY1 1AA"
    assert (revision.changed_by, revision.changed_through) == (council, "import run 7")


def test_a_change_that_changes_nothing_writes_no_revision(margaret, staff):
    council = staff["fife-council-asb"]
    person_record_update(
        user=council,
        record=margaret,
        changes={
            "given_name": " Margaret ",
            "date_of_birth": "17/05/1948",
            "addresses": [AddressInput("12 Hilltown, Kirkcaldy", "KY11AA", "2001-04-01")],
        },
    )
    person_record_update(user=council, record=margaret, changes={})
    assert not PersonRecordRevision.objects.exists()


def test_new_addresses_replace_the_old_and_are_a_change(margaret, staff):
    person_record_update(
        user=staff["fife-council-asb"],
        record=margaret,
        changes={"addresses": [AddressInput("3 Links Street, Kirkcaldy", "KY1 1QH")]},
    )
    assert [a.postcode for a in margaret.addresses.all()] == ["KY1 1QH"]
    assert margaret.revisions.get().before["addresses"][0]["address"] == "12 Hilltown, Kirkcaldy"


def test_a_new_date_brings_its_own_precision(staff):
    police = staff["police-fife"]
    person = hold_person(police, "P1", family_name="Reid", date_of_birth="1984")
    person_record_update(
        user=police, record=person, changes={"date_of_birth": datetime.date(1984, 3, 12)}
    )
    assert (person.date_of_birth, person.date_of_birth_precision) == (
        datetime.date(1984, 3, 12),
        "day",
    )


def test_only_the_holder_changes_a_record(margaret, staff):
    with pytest.raises(PermissionError):
        person_record_update(user=staff["police-fife"], record=margaret, changes={"sex": "male"})
    margaret.refresh_from_db()
    assert margaret.sex == "female"


def test_a_change_is_checked_like_a_new_record(margaret, staff):
    hold_person(staff["fife-council-asb"], "ASB-P-0043", family_name="Kelso")
    with pytest.raises(PersonRecordInvalid) as refused:
        person_record_update(
            user=staff["fife-council-asb"],
            record=margaret,
            changes={"source_ref": "ASB-P-0043", "email": "nope"},
        )
    assert set(refused.value.errors) == {"source_ref", "email"}
    margaret.refresh_from_db()
    assert margaret.source_ref == "ASB-P-0042"
