"""People from a partner's extract: names, partial dates of birth, CHI numbers, addresses."""

import datetime

import pytest

from saferhub.people.models import PersonAddress, PersonRecord
from tests.imports.conftest import run_import, write_csv

pytestmark = pytest.mark.django_db


def person(ref: str, **cells: str) -> dict[str, str]:
    row = {
        "Patient ID": ref,
        "Forename": "Morag",
        "Surname": "MacLeod",
        "Aliases": "",
        "DOB": "12/03/1984",
        "Sex": "F",
        "CHI": "1203841234",
        "Phone": "",
        "Email": "",
        "Address": "3 Shore Road",
        "Postcode": "ky1 1aa",
        "Moved In": "01/04/2019",
        "Moved Out": "",
    }
    row.update({k.replace("_", " "): v for k, v in cells.items()})
    return row


def valid_chi(prefix: str) -> str:
    """A CHI number starting with `prefix` (nine digits) and its right check digit."""
    from saferhub.people.identifiers import chi_check_digit

    for last in range(10):
        digit = chi_check_digit(prefix[:8] + str(last))
        if digit is not None:
            return prefix[:8] + str(last) + str(digit)
    raise AssertionError


def test_people_are_imported_with_their_address(profiles, tmp_path):
    chi = valid_chi("120384123")
    rows = [
        person("N1", CHI=chi, Aliases="Morag Smith; Mo"),
        person(
            "N2",
            DOB="1990",
            CHI="",
            Forename="",
            Surname="Ng",
            Address="",
            Postcode="",
            Moved_In="",
        ),
        person("N3", DOB="03/1971", CHI=""),
    ]
    run = run_import(write_csv(tmp_path / "people.csv", rows), profiles["nhs-people"])
    assert run.rows_inserted == 3, list(run.rejections.values_list("field", "reason"))
    first = PersonRecord.objects.get(source_ref="N1")
    assert (first.chi_number, first.sex, first.given_key) == (chi, "female", "morag")
    assert first.other_names == ["Morag Smith", "Mo"]
    assert first.date_of_birth == datetime.date(1984, 3, 12)
    address = PersonAddress.objects.get(person=first)
    assert (address.address, address.postcode) == ("3 Shore Road", "KY1 1AA")
    assert address.lived_from == datetime.date(2019, 4, 1)
    second = PersonRecord.objects.get(source_ref="N2")
    assert (second.date_of_birth, second.date_of_birth_precision) == (
        datetime.date(1990, 1, 1),
        "year",
    )
    assert not second.addresses.exists()
    third = PersonRecord.objects.get(source_ref="N3")
    assert (third.date_of_birth, third.date_of_birth_precision) == (
        datetime.date(1971, 3, 1),
        "month",
    )


@pytest.mark.parametrize(
    ("cells", "field", "reason"),
    [
        ({"CHI": "12038412"}, "CHI", "a CHI number is 10 digits"),
        ({"CHI": "3202841234"}, "CHI", "a CHI number starts with a date of birth as DDMMYY"),
        ({"CHI": "1203841235"}, "CHI", "the CHI number's check digit is wrong"),
        ({"DOB": "13/03/1984"}, "CHI", "the CHI number does not match the date of birth"),
        ({"DOB": "next week"}, "DOB", "'next week' is not a date"),
        (
            {"Forename": "", "Surname": ""},
            "Surname",
            "a person needs a given name or a family name",
        ),
        ({"Email": "morag at home"}, "Email", "is not an email address like name@example.org"),
        ({"Phone": "call me"}, "Phone", "a phone number has digits, spaces and + ( ) - only"),
        (
            {"Moved Out": "01/01/2010"},
            "Moved Out",
            "the person cannot have left before they arrived",
        ),
        ({"Address": ""}, "Address", "a postcode or dates of an address need the address"),
    ],
)
def test_each_rule_names_the_column(profiles, tmp_path, cells, field, reason):
    chi = valid_chi("120384123")
    row = person("N1", CHI=chi)
    row.update(cells)
    run = run_import(write_csv(tmp_path / "people.csv", [row]), profiles["nhs-people"])
    found = list(run.rejections.values_list("field", "reason"))
    assert run.rows_rejected == 1, found
    assert found[0][0] == field
    assert found[0][1].startswith(reason), found


def test_a_changed_person_keeps_a_revision_with_the_addresses(profiles, tmp_path):
    profile = profiles["nhs-people"]
    run_import(write_csv(tmp_path / "a.csv", [person("N1", CHI="")]), profile)
    run = run_import(
        write_csv(tmp_path / "b.csv", [person("N1", CHI="", Surname="Mackay")]), profile
    )
    assert run.rows_updated == 1
    record = PersonRecord.objects.get()
    assert record.family_name == "Mackay"
    before = record.revisions.get().before
    assert before["family_name"] == "MacLeod"
    assert before["addresses"][0]["address"] == "3 Shore Road"
    assert PersonAddress.objects.count() == 1


def test_a_person_with_a_date_of_birth_and_no_chi_number_is_imported(tmp_path, profiles):
    path = write_csv(tmp_path / "people.csv", [person("N1", CHI="")])
    run = run_import(path, profiles["nhs-people"])
    assert (run.rows_inserted, run.rows_rejected) == (1, 0), list(
        run.rejections.values_list("field", "reason")
    )
    assert PersonRecord.objects.get().chi_number == ""
