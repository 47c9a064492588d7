"""CHI numbers and partial dates of birth (saferhub.people.identifiers)."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saferhub.people.identifiers import chi_check_digit, chi_number_problem, partial_date
from tests.people.conftest import chi_for

# Any date a CHI number can start with; the serial is the three digits after it.
birthdays = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31))
serials = st.integers(min_value=0, max_value=999)


def _valid_chi(born: datetime.date, serial: int) -> str | None:
    first_nine = f"{born:%d%m%y}{serial:03d}"
    check = chi_check_digit(first_nine)
    return None if check is None else f"{first_nine}{check}"


@given(born=birthdays, serial=serials)
def test_every_chi_number_with_its_check_digit_passes(born, serial):
    chi = _valid_chi(born, serial)
    if chi is None:  # a remainder of 10: no CHI number is issued with these nine digits
        return
    assert chi_number_problem(chi) is None
    assert chi_number_problem(chi, born) is None


@given(
    born=birthdays,
    serial=serials,
    position=st.integers(min_value=0, max_value=9),
    change=st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_digit_is_caught(born, serial, position, change):
    """Modulus 11 with weights 10 to 1 catches every single wrong digit: the total moves by
    weight x difference, and 11, being prime, divides neither."""
    chi = _valid_chi(born, serial)
    if chi is None:
        return
    wrong = chi[:position] + str((int(chi[position]) + change) % 10) + chi[position + 1 :]
    assert chi_number_problem(wrong) is not None


def test_a_chi_number_must_be_ten_digits_starting_with_a_date():
    assert chi_number_problem("12345") == "a CHI number is 10 digits"
    assert chi_number_problem("3113481234").startswith("a CHI number starts with a date")


def test_a_chi_number_must_start_with_the_date_of_birth_when_it_is_known():
    chi = chi_for(datetime.date(1948, 5, 17))
    assert chi_number_problem(chi, datetime.date(1948, 5, 17)) is None
    assert chi_number_problem(chi, datetime.date(1948, 5, 18)) == (
        "the CHI number does not start with the date of birth"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1984-03-12", (datetime.date(1984, 3, 12), "day")),
        ("12/03/1984", (datetime.date(1984, 3, 12), "day")),
        ("1984-03", (datetime.date(1984, 3, 1), "month")),
        ("03/1984", (datetime.date(1984, 3, 1), "month")),
        ("1984", (datetime.date(1984, 1, 1), "year")),
        (" 1984 ", (datetime.date(1984, 1, 1), "year")),
    ],
)
def test_a_date_of_birth_may_be_known_to_the_day_month_or_year(text, expected):
    assert partial_date(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "31/02/1984", "1984-13", "84"])
def test_what_is_not_a_date_is_refused_plainly(text):
    with pytest.raises(ValueError, match="is not a date"):
        partial_date(text)
