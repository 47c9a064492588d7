"""The checks on one value of an imported row, each written twice: in Python, the rule itself
(the forms and the API use the same functions from saferhub.people.identifiers,
saferhub.geography.postcodes and saferhub.places.addresses), and as a DuckDB SQL expression
that checks a whole batch at once.

The SQL is the fast path: it must accept exactly the values the Python accepts, and give the
same cleaned value (tests/imports/test_rules.py checks this with Hypothesis). Where the two
could only agree at great cost (letters outside ASCII in a postcode, say), the SQL is the
stricter: a value it refuses is handed to the Python, whose message the report shows.
"""

import _strptime
import datetime
import re
from dataclasses import dataclass, field

from django.utils import timezone

from saferhub.geography.postcodes import POSTCODE_PATTERN, postcode_normalise
from saferhub.people.identifiers import chi_number_normalise, chi_number_problem, partial_date
from saferhub.places.addresses import uprn_problem

# Every character Python's str.strip() removes, so that SQL trims a cell as a form would.
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
# The same set as a regular expression class, in RE2's syntax (what DuckDB uses).
WHITESPACE_CLASS = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in WHITESPACE) + "]"
OTHER_WHITESPACE_CLASS = WHITESPACE_CLASS.replace("\\x{20}", "")

NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
# As saferhub.people.services: digits, spaces and + ( ) - only.
PHONE_PATTERN = r"[0-9 +()\-]{6,40}"
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"
TRUE_WORDS = ("yes", "y", "true", "t", "1")
FALSE_WORDS = ("no", "n", "false", "f", "0")
# Dates the hub always reads, whatever the profile says: what an XLSX date cell becomes.
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL quoted identifier (a column heading may hold any character)."""
    return '"' + name.replace('"', '""') + '"'


def strptime_guard(pattern: str) -> str:
    """The regular expression Python's strptime matches for a format, for RE2: DuckDB's own
    strptime is more lenient in places (spaces, signs), so SQL accepts a value only when this
    matches the whole of it too."""
    regex = _strptime._TimeRE_cache.pattern(pattern)  # the regex Python itself uses
    return "(?i)" + regex


def sql_map(pairs: dict[str, str], value_type: str = "VARCHAR") -> str:
    """A DuckDB MAP literal from lower-cased keys; `value_type` casts the values."""
    if not pairs:
        return f"MAP([]::VARCHAR[], []::{value_type}[])"
    items = ", ".join(f"{lit(k)}: {lit(v)}::{value_type}" for k, v in pairs.items())
    return "MAP {" + items + "}"


class Invalid(ValueError):
    """A value a rule refuses; the message is fit for the report."""


@dataclass
class Rule:
    """How one hub field's value is read and checked.

    `sql_value(r)` is the cleaned value of the trimmed cell `r` (a SQL expression), NULL when
    the cell is empty or the value bad; `sql_bad(r, v)` is true when a non-empty cell is bad.
    `check(text)` is the rule in Python: the cleaned value, or Invalid with the reason.
    """

    sql_type: str = "VARCHAR"

    def sql_value(self, r: str) -> str:
        return f"nullif({r}, '')"

    def sql_bad(self, r: str, v: str) -> str:
        return f"{v} IS NULL"

    def check(self, text: str):
        return text


@dataclass
class Text(Rule):
    max_length: int | None = None

    def sql_bad(self, r: str, v: str) -> str:
        return f"length({r}) > {self.max_length}" if self.max_length else "false"

    def check(self, text: str) -> str:
        if self.max_length and len(text) > self.max_length:
            raise Invalid(f"is longer than {self.max_length} characters")
        return text


@dataclass
class TextList(Rule):
    """Several values in one cell, separated by ";" (other names)."""

    max_length: int = 100
    sql_type: str = "VARCHAR[]"

    def sql_value(self, r: str) -> str:
        items = (
            f"list_filter(list_transform(string_split({r}, ';'), lambda x: clean(x)), "
            "lambda x: x <> '')"
        )
        return f"CASE WHEN {r} <> '' THEN list_distinct_ordered({items}) END"

    def sql_bad(self, r: str, v: str) -> str:
        return f"len(list_filter({v}, lambda x: length(x) > {self.max_length})) > 0"

    def check(self, text: str) -> list[str]:
        names = list(dict.fromkeys(n.strip() for n in text.split(";") if n.strip()))
        if any(len(n) > self.max_length for n in names):
            raise Invalid(f"a name is longer than {self.max_length} characters")
        return names


@dataclass
class Coded(Rule):
    """A partner's code translated to a hub code; the hub's own codes are understood too."""

    hub_field: str = ""
    codes: dict[str, str] = field(default_factory=dict)
    vocabulary: tuple[str, ...] = ()

    def table(self) -> dict[str, str]:
        table = {code.lower(): code for code in self.vocabulary}
        table.update({k.strip().lower(): v for k, v in self.codes.items()})
        return table

    def sql_value(self, r: str) -> str:
        return f"{sql_map(self.table())}[lower({r})]"

    def check(self, text: str) -> str:
        value = self.table().get(text.lower())
        if value is None:
            raise Invalid(f"unknown code {text!r}; {self.known()}")
        return value

    def known(self) -> str:
        # Sorted: the stored profile (JSON) need not keep the order the file gave.
        shown = sorted(self.codes) or list(self.vocabulary)
        listing = ", ".join(shown[:12]) + (
            f" and {len(shown) - 12} more" if len(shown) > 12 else ""
        )
        return f"the profile knows {listing}"


@dataclass
class CodedList(Coded):
    """Several codes in one cell, separated by ";" or ","."""

    sql_type: str = "VARCHAR[]"

    def sql_value(self, r: str) -> str:
        items = (
            f"list_filter(list_transform(string_split(replace({r}, ',', ';'), ';'), "
            "lambda x: clean(x)), lambda x: x <> '')"
        )
        mapped = f"list_transform({items}, lambda x: {sql_map(self.table())}[lower(x)])"
        return f"CASE WHEN {r} <> '' THEN list_distinct_ordered({mapped}) END"

    def sql_bad(self, r: str, v: str) -> str:
        return f"len(list_filter({v}, lambda x: x IS NULL)) > 0"

    def check(self, text: str) -> list[str]:
        table = self.table()
        items = [part.strip() for part in re.split("[;,]", text) if part.strip()]
        unknown = [item for item in items if item.lower() not in table]
        if unknown:
            raise Invalid(f"unknown code {', '.join(map(repr, unknown))}; {self.known()}")
        return list(dict.fromkeys(table[item.lower()] for item in items))


@dataclass
class Boolean(Rule):
    sql_type: str = "BOOLEAN"

    def sql_value(self, r: str) -> str:
        words = {w: "true" for w in TRUE_WORDS} | {w: "false" for w in FALSE_WORDS}
        return f"{sql_map(words, 'BOOLEAN')}[lower({r})]"

    def check(self, text: str) -> bool:
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise Invalid("is not yes or no (yes, no, y, n, true, false, 1 or 0)")


def _parse_first(text: str, formats: tuple[str, ...]) -> datetime.datetime | None:
    for pattern in formats:
        try:
            return datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _examples(formats: tuple[str, ...]) -> str:
    sample = datetime.datetime(2024, 12, 31, 23, 59, 58)
    return ", ".join(dict.fromkeys(sample.strftime(f) for f in formats))


def _sql_strptime(r: str, formats: tuple[str, ...]) -> str:
    """The first format (in order) whose Python regex matches and that gives a real date."""
    tries = [
        f"CASE WHEN regexp_full_match({r}, {lit(strptime_guard(f))}) "
        f"THEN try_strptime({r}, {lit(f)}) END"
        for f in formats
    ]
    return f"coalesce({', '.join(tries)})" if len(tries) > 1 else tries[0]


@dataclass
class DateTime(Rule):
    """A date and time in local time (Europe/London), stored in UTC."""

    formats: tuple[str, ...] = ()
    sql_type: str = "TIMESTAMPTZ"

    def sql_value(self, r: str) -> str:
        return f"local_to_utc({_sql_strptime(r, self.formats)})"

    def check(self, text: str) -> datetime.datetime:
        parsed = _parse_first(text, self.formats)
        if parsed is None:
            raise Invalid(
                f"{text!r} is not a date and time in a form the profile knows "
                f"(like {_examples(self.formats)})"
            )
        # A time that happens twice (clocks going back) is taken as the first, as Django does.
        return timezone.make_aware(parsed).astimezone(datetime.UTC)


@dataclass
class Date(Rule):
    formats: tuple[str, ...] = ()
    sql_type: str = "DATE"

    def sql_value(self, r: str) -> str:
        return f"CAST({_sql_strptime(r, self.formats)} AS DATE)"

    def check(self, text: str) -> datetime.date:
        parsed = _parse_first(text, self.formats)
        if parsed is None:
            raise Invalid(f"{text!r} is not a date (like {_examples(self.formats)})")
        return parsed.date()


PARTIAL_FORMATS = (("%Y-%m", "month"), ("%m/%Y", "month"), ("%Y", "year"))


@dataclass
class PartialDate(Rule):
    """A date of birth known to the day, the month or the year
    (saferhub.people.identifiers.partial_date with the profile's formats first). The value is
    a struct of the date and its precision."""

    formats: tuple[str, ...] = ()
    sql_type: str = "STRUCT(d DATE, p VARCHAR)"

    def sql_value(self, r: str) -> str:
        tries = [(f, "day") for f in self.formats] + list(PARTIAL_FORMATS)
        cases = [
            f"CASE WHEN regexp_full_match({r}, {lit(strptime_guard(f))}) "
            f"AND try_strptime({r}, {lit(f)}) IS NOT NULL "
            f"THEN {{'d': CAST(try_strptime({r}, {lit(f)}) AS DATE), 'p': {lit(p)}}} END"
            for f, p in tries
        ]
        return f"coalesce({', '.join(cases)})"

    def check(self, text: str) -> tuple[datetime.date, str]:
        try:
            born, precision = partial_date(text, tuple(self.formats))
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        return born, str(precision)


@dataclass
class Postcode(Rule):
    """A UK postcode, normalised as "DD1 4HN" (saferhub.geography.postcodes)."""

    def sql_value(self, r: str) -> str:
        # Only a space, usually, between the two halves: replace() is far quicker than a
        # regular expression, which is kept for the rare cell with other whitespace.
        squeezed = (
            f"upper(CASE WHEN regexp_matches({r}, {lit(OTHER_WHITESPACE_CLASS)}) "
            f"THEN regexp_replace({r}, {lit(WHITESPACE_CLASS + '+')}, '', 'g') "
            f"ELSE replace({r}, ' ', '') END)"
        )
        parts = f"regexp_extract({squeezed}, {lit(POSTCODE_PATTERN.pattern)}, ['o', 'i'])"
        return f"nullif({parts}.o || ' ' || {parts}.i, ' ')"

    def check(self, text: str) -> str:
        try:
            return postcode_normalise(text)
        except ValueError as exc:
            raise Invalid(str(exc)) from None


@dataclass
class Chi(Rule):
    """An NHS CHI number (saferhub.people.identifiers.chi_number_problem): ten digits, the
    date of birth as DDMMYY, a modulus-11 check digit."""

    def sql_value(self, r: str) -> str:
        return f"nullif(chi_clean({r}), '')"

    def sql_bad(self, r: str, v: str) -> str:
        return f"NOT chi_valid({v})"

    def check(self, text: str) -> str:
        problem = chi_number_problem(text)
        if problem:
            raise Invalid(problem)
        return chi_number_normalise(text)


@dataclass
class Uprn(Rule):
    def sql_bad(self, r: str, v: str) -> str:
        return f"NOT regexp_full_match({r}, '[0-9]{{1,12}}')"

    def check(self, text: str) -> str:
        problem = uprn_problem(text)
        if problem:
            raise Invalid(problem)
        return text.strip()


@dataclass
class Number(Rule):
    low: float = 0
    high: float = 0
    sql_type: str = "DOUBLE"

    def sql_value(self, r: str) -> str:
        return (
            f"CASE WHEN regexp_full_match({r}, {lit(NUMBER_PATTERN)}) "
            f"AND TRY_CAST({r} AS DOUBLE) BETWEEN {self.low} AND {self.high} "
            f"THEN TRY_CAST({r} AS DOUBLE) END"
        )

    def check(self, text: str) -> float:
        if not re.fullmatch(NUMBER_PATTERN, text):
            raise Invalid("is not a number")
        value = float(text)
        if not self.low <= value <= self.high:
            raise Invalid(f"is outside {self.low:g} to {self.high:g}")
        return value


@dataclass
class Pattern(Rule):
    pattern: str = ""
    message: str = ""
    max_length: int = 254

    def sql_bad(self, r: str, v: str) -> str:
        return f"NOT regexp_full_match({r}, {lit(self.pattern)}) OR length({r}) > {self.max_length}"

    def check(self, text: str) -> str:
        if not re.fullmatch(self.pattern, text) or len(text) > self.max_length:
            raise Invalid(self.message)
        return text


@dataclass
class Partners(Rule):
    """Organisation codes separated by ";", each a member of the incident's partnership."""

    members: dict[str, int] = field(default_factory=dict)
    partnership: str = ""
    sql_type: str = "BIGINT[]"

    def sql_value(self, r: str) -> str:
        table = {code.lower(): str(pk) for code, pk in self.members.items()}
        items = (
            f"list_filter(list_transform(string_split({r}, ';'), lambda x: clean(x)), "
            "lambda x: x <> '')"
        )
        mapped = f"list_transform({items}, lambda x: {sql_map(table, 'BIGINT')}[lower(x)])"
        return f"CASE WHEN {r} <> '' THEN list_distinct_ordered({mapped}) END"

    def sql_bad(self, r: str, v: str) -> str:
        return f"len(list_filter({v}, lambda x: x IS NULL)) > 0"

    def check(self, text: str) -> list[int]:
        codes = [part.strip() for part in text.split(";") if part.strip()]
        table = {code.lower(): pk for code, pk in self.members.items()}
        outside = [code for code in codes if code.lower() not in table]
        if outside:
            raise Invalid(
                f"{', '.join(outside)} is not a member organisation of partnership "
                f"{self.partnership}"
            )
        return list(dict.fromkeys(table[code.lower()] for code in codes))


# DuckDB macros the rules' SQL uses; made once on each DuckDB connection.
MACROS = f"""
CREATE OR REPLACE MACRO clean(s) AS
    -- Most cells start and end with a printable ASCII character (none of them whitespace):
    -- those are left as they are, which is far quicker than trimming every cell.
    CASE WHEN ord(s) BETWEEN 33 AND 132 AND ord(right(s, 1)) BETWEEN 33 AND 132 THEN s
         ELSE trim(coalesce(s, ''), {lit(WHITESPACE)}) END;
CREATE OR REPLACE MACRO list_distinct_ordered(l) AS
    list_filter(l, lambda x, i: coalesce(list_position(l, x), i) = i);
CREATE OR REPLACE MACRO chi_clean(s) AS
    regexp_replace(s, {lit(WHITESPACE_CLASS[:-1] + "-]")}, '', 'g');
CREATE OR REPLACE MACRO chi_digit(c, i) AS TRY_CAST(substr(c, i, 1) AS INTEGER);
CREATE OR REPLACE MACRO chi_check(c) AS 11 - (
    chi_digit(c, 1) * 10 + chi_digit(c, 2) * 9 + chi_digit(c, 3) * 8 + chi_digit(c, 4) * 7
    + chi_digit(c, 5) * 6 + chi_digit(c, 6) * 5 + chi_digit(c, 7) * 4 + chi_digit(c, 8) * 3
    + chi_digit(c, 9) * 2) % 11;
CREATE OR REPLACE MACRO chi_valid(c) AS
    regexp_full_match(c, '[0-9]{{10}}')
    AND regexp_full_match(substr(c, 1, 6), {lit(strptime_guard("%d%m%y"))})
    AND try_strptime(substr(c, 1, 6), '%d%m%y') IS NOT NULL
    AND (CASE WHEN chi_check(c) = 11 THEN 0 ELSE chi_check(c) END) = chi_digit(c, 10);
CREATE OR REPLACE MACRO local_to_utc(ts) AS
    CASE WHEN timezone('Europe/London', CAST(ts AS TIMESTAMPTZ) - INTERVAL 1 HOUR) = ts
         THEN CAST(ts AS TIMESTAMPTZ) - INTERVAL 1 HOUR
         ELSE CAST(ts AS TIMESTAMPTZ) END;
"""
