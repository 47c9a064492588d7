"""Checking and normalising what identifies a person: the CHI number, partial dates of birth
and names folded for comparison. Used by forms, the API and imports alike."""

import datetime
import re

from saferhub.people.models import DatePrecision

# Names are folded one way everywhere, with the pseudonyms that depend on it.
from saferhub.sharing.pseudonyms import name_key as name_key

_CHI = re.compile(r"^\d{10}$")


def chi_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit of the first nine digits of a CHI number; None when the
    remainder gives 10, which no valid CHI number has."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def chi_number_problem(text: str, date_of_birth: datetime.date | None = None) -> str | None:
    """Why `text` is not a valid CHI number (None when it is). A CHI number is ten digits: the
    date of birth as DDMMYY, three more digits, and a modulus-11 check digit. When the date of
    birth is known to the day, the prefix must match it."""
    chi = re.sub(r"[\s-]", "", text)
    if not _CHI.match(chi):
        return "a CHI number is 10 digits"
    try:
        datetime.datetime.strptime(chi[:6], "%d%m%y")
    except ValueError:
        return "a CHI number starts with a date of birth as DDMMYY"
    if chi_check_digit(chi[:9]) != int(chi[9]):
        return "the CHI number's check digit is wrong (a mistyped digit?)"
    if date_of_birth is not None and chi[:6] != date_of_birth.strftime("%d%m%y"):
        return "the CHI number does not start with the date of birth"
    return None


def chi_number_normalise(text: str) -> str:
    """The CHI number as ten digits, spaces and dashes removed."""
    return re.sub(r"[\s-]", "", text)


def partial_date(
    text: str, formats: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y")
) -> tuple[datetime.date, str]:
    """A date of birth that may be known only to the month or the year: "1984-03-12",
    "12/03/1984", "1984-03", "03/1984" or "1984". Returns the date (the first day of what is
    known) and its precision; ValueError with a message fit for a user otherwise."""
    text = text.strip()
    for pattern in formats:
        try:
            return datetime.datetime.strptime(text, pattern).date(), DatePrecision.DAY
        except ValueError:
            continue
    for pattern, precision in (
        ("%Y-%m", DatePrecision.MONTH),
        ("%m/%Y", DatePrecision.MONTH),
        ("%Y", DatePrecision.YEAR),
    ):
        try:
            return datetime.datetime.strptime(text, pattern).date(), precision
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (expected a full date, a month and year, or a year)")
