"""The checks are written twice: in Python (the rules the forms use) and in SQL (to check a
whole batch at once). They must agree: on the same input the SQL accepts exactly what the
Python accepts, with the same cleaned value. Outside plain ASCII the SQL may only be the
stricter of the two (a row it refuses is reported, never imported wrongly)."""

import datetime

import duckdb
import pyarrow as pa
import pytest
from django.conf import settings
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from saferhub.imports.checking import address_key_array, name_key_array
from saferhub.imports.rules import (
    MACROS,
    WHITESPACE,
    Boolean,
    Chi,
    Coded,
    DateTime,
    Invalid,
    Number,
    PartialDate,
    Postcode,
    Uprn,
)
from saferhub.people.identifiers import chi_check_digit, name_key
from saferhub.places.addresses import address_key

examples = hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def db():
    connection = duckdb.connect()
    connection.execute(f"SET TimeZone = '{settings.TIME_ZONE}'")
    for statement in MACROS.split(";"):
        if statement.strip():
            connection.execute(statement)
    yield connection
    connection.close()


def in_sql(db, rule, text: str):
    """(accepted, value) of the rule's SQL on one trimmed cell; a time as UTC."""
    db.register("t", pa.table({"r": [text]}))
    shown = "timezone('UTC', v)" if isinstance(rule, DateTime) else "v"
    value, bad = db.sql(
        f"SELECT {shown}, CASE WHEN r <> '' THEN ({rule.sql_bad('r', 'v')}) ELSE false END "
        f"FROM (SELECT r, {rule.sql_value('r')} AS v FROM t)"
    ).fetchall()[0]
    return (not bad and value is not None), value


def in_python(rule, text: str):
    try:
        return True, rule.check(text)
    except Invalid:
        return False, None


def agree(db, rule, text: str, normalise=lambda v: v) -> None:
    text = text.strip()
    if not text:
        return
    sql_ok, sql_value = in_sql(db, rule, text)
    python_ok, python_value = in_python(rule, text)
    if sql_ok:
        assert python_ok, f"SQL accepts {text!r}, Python does not"
        assert normalise(sql_value) == normalise(python_value), text
    elif text.isascii():
        assert not python_ok, f"Python accepts {text!r} ({python_value!r}), SQL does not"


postcode_like = st.from_regex(r"\A[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}\Z")
ascii_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)


@examples
@given(st.one_of(postcode_like, ascii_text, st.text(max_size=10)))
@example("dd1\t4hn")
@example("\u0131v1 1aa")  # a dotless i, which Python and SQL both upper-case to I
@example("DD1 4CN")
def test_postcodes(db, text):
    agree(db, Postcode(), text)


def chi_numbers():
    def build(digits: str) -> str:
        check = chi_check_digit(digits)
        return digits + str(check if check is not None else 0)

    valid_like = st.from_regex(r"\A[0-3][0-9][01][0-9][0-9]{5}\Z").map(build)
    spaced = valid_like.map(lambda c: f"{c[:3]} {c[3:6]}-{c[6:]}")
    return st.one_of(valid_like, spaced, st.from_regex(r"\A[0-9 \-]{8,13}\Z"), ascii_text)


@examples
@given(chi_numbers())
@example("2902000000")
@example("2901000000")
def test_chi_numbers(db, text):
    agree(db, Chi(), text)


FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%d %b %Y")


def formatted_dates():
    moments = st.datetimes(
        min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2100, 12, 31)
    )
    return st.one_of(
        st.tuples(moments, st.sampled_from((*FORMATS, "%d/%m/%y", "%Y-%m", "%m/%Y", "%Y"))).map(
            lambda pair: pair[0].strftime(pair[1])
        ),
        st.text(alphabet="0123456789/: -", max_size=18),
        ascii_text,
    )


@examples
@given(formatted_dates())
@example("1/7/2024 9:5")
@example("31/02/2024 10:00")
@example("27/10/2024 01:30")
@example("31/03/2024 01:30")
@example("01/07/2024  10:00")
@example("1 jan 2024")
def test_dates_and_times(db, text):
    def normalise(value):
        return value.astimezone(datetime.UTC).replace(tzinfo=None) if value.tzinfo else value

    agree(db, DateTime(formats=FORMATS), text, normalise)


@examples
@given(formatted_dates())
@example("1984")
@example("03/1984")
@example("1984-3")
def test_partial_dates_of_birth(db, text):
    def normalise(value):
        if isinstance(value, dict):
            return value["d"], value["p"]
        return value

    agree(db, PartialDate(formats=FORMATS[:2]), text, normalise)


@examples
@given(st.one_of(st.sampled_from(["Yes", "N", "TRUE", "0", "1", "t", "f", "maybe"]), ascii_text))
def test_yes_and_no(db, text):
    agree(db, Boolean(), text)


@examples
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).map(str),
        st.integers().map(str),
        ascii_text,
    )
)
@example("1e5")
@example(".5")
@example("5.")
@example("+3")
def test_numbers(db, text):
    agree(db, Number(low=-1e9, high=1e9), text)


@examples
@given(st.one_of(st.from_regex(r"\A[0-9]{1,14}\Z"), ascii_text))
def test_uprns(db, text):
    agree(db, Uprn(), text)


@examples
@given(
    st.one_of(
        st.sampled_from(["ASB - NOISE", "asb - noise", "Domestic", "noise", "Other"]), ascii_text
    )
)
def test_codes(db, text):
    agree(
        db,
        Coded(
            codes={"ASB - NOISE": "noise", "DOMESTIC": "domestic_incident"},
            vocabulary=("noise", "domestic_incident", "other"),
        ),
        text,
    )


names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "Zs", "Pd")),
    max_size=20,
)


@examples
@given(st.lists(st.one_of(names, st.text(max_size=8)), min_size=1, max_size=6))
@example(["O'Brien-Smith", "obrien smith", "Seán", "ﬁona", "Łukasz", "Zoë"])
def test_folded_names_and_addresses(names_given):
    keys = name_key_array(pa.array(names_given)).to_pylist()
    assert keys == [name_key(n) for n in names_given]
    columns = [pa.array([n]) for n in names_given[:4]]
    assert address_key_array(columns).to_pylist() == [address_key(*names_given[:4])]


@examples
@given(st.text(alphabet=st.sampled_from([*WHITESPACE, "a", "é", " ", "x"]), max_size=10))
def test_trimming_is_pythons_strip(text):
    import pyarrow.compute as pc

    assert pc.utf8_trim(pa.array([text]), WHITESPACE).to_pylist() == [text.strip()]
