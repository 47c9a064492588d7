"""Reading a partnership file: every mistake is named by its key path, nothing else escapes."""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saferhub.partnerships.partnership_file import (
    PartnershipFileError,
    parse_partnership_file,
    validate_partnership_data,
)
from tests.conftest import EXAMPLE_FILE


def example() -> dict:
    return yaml.safe_load(EXAMPLE_FILE.read_text())


def problems_of(data: dict) -> list[str]:
    with pytest.raises(PartnershipFileError) as caught:
        parse_partnership_file(yaml.safe_dump(data, sort_keys=False))
    return caught.value.problems


def test_it_reads_the_example_file():
    document = parse_partnership_file(EXAMPLE_FILE.read_text())
    assert document.partnership.code == "fife"
    assert [o.code for o in document.organisations][:2] == ["police-fife", "sfrs-fife"]
    assert document.protocols[0].effective_from.isoformat() == "2025-04-01"
    assert document.extra_themes() == {"cuckooing": "Cuckooing"}


def test_it_names_an_unknown_organisation_in_a_list():
    data = example()
    data["protocols"][0]["signatories"][2] = "fife-council-housing"
    assert problems_of(data) == [
        "protocols[0].signatories[2]: unknown organisation 'fife-council-housing' "
        "(it must be listed under organisations)"
    ]


@pytest.mark.parametrize(
    ("section", "key"),
    [("funded_posts", "funder"), ("funded_posts", "host"), ("users", "organisation")],
)
def test_it_names_unknown_organisations_everywhere(section, key):
    data = example()
    data[section][1][key] = "no-such-org"
    [problem] = problems_of(data)
    assert problem.startswith(f"{section}[1].{key}: unknown organisation 'no-such-org'")


def test_it_names_a_bad_date():
    data = example()
    data["protocols"][1]["review_by"] = "2027-02-30"
    assert problems_of(data) == [
        "protocols[1].review_by: '2027-02-30' is not a valid date (write it as YYYY-MM-DD)"
    ]


def test_it_names_an_unknown_level():
    data = example()
    data["protocols"][0]["level"] = "secret"
    [problem] = problems_of(data)
    assert problem.startswith("protocols[0].level: 'secret' is not allowed here; expected")
    assert "'personal'" in problem


def test_it_refuses_none_as_a_protocol_level():
    data = example()
    data["protocols"][0]["level"] = "none"
    [problem] = problems_of(data)
    assert problem.startswith("protocols[0].level: 'none' is not allowed here")


def test_it_names_an_unknown_involvement_and_role():
    data = example()
    data["organisations"][3]["involvement"] = "somewhat"
    data["users"][0]["roles"] = ["practitioner", "superhero"]
    problems = problems_of(data)
    assert problems[0].startswith("organisations[3].involvement: 'somewhat' is not allowed")
    assert problems[1].startswith("users[0].roles[1]: 'superhero' is not allowed")


@pytest.mark.parametrize(
    ("section", "key", "index", "expected"),
    [
        ("organisations", "code", 4, "organisations[4]: duplicate organisation code 'police-fife'"),
        ("users", "username", 2, "users[2]: duplicate username 'jo.smith'"),
        ("protocols", "code", 1, "protocols[1]: duplicate protocol code"),
    ],
)
def test_it_names_duplicate_codes(section, key, index, expected):
    data = example()
    data[section][index][key] = data[section][0][key]
    problems = problems_of(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_it_names_a_yaml_syntax_error_by_line():
    text = EXAMPLE_FILE.read_text().replace("  code: fife\n", "  code: [fife\n", 1)
    with pytest.raises(PartnershipFileError) as caught:
        parse_partnership_file(text, source="fife.yaml")
    [problem] = caught.value.problems
    assert problem.startswith("fife.yaml: YAML syntax error at line ")


def test_it_refuses_a_key_given_twice():
    text = EXAMPLE_FILE.read_text().replace(
        "  local_authority: Fife\n", "  local_authority: Fife\n  local_authority: Fyfe\n", 1
    )
    with pytest.raises(PartnershipFileError) as caught:
        parse_partnership_file(text, source="fife.yaml")
    [problem] = caught.value.problems
    assert problem == "fife.yaml: line 6, column 3: the key 'local_authority' is given twice"


def test_it_refuses_unknown_and_missing_keys():
    data = example()
    data["partnership"]["council"] = "Fife"
    del data["protocols"][0]["legal_basis"]
    assert problems_of(data) == [
        "partnership.council: is not a key the partnership file knows",
        "protocols[0].legal_basis: is required",
    ]


def test_it_refuses_a_protocol_that_expires_before_it_starts():
    data = example()
    data["protocols"][0]["expires_on"] = "2024-01-01"
    assert problems_of(data) == [
        "protocols[0].expires_on: 2024-01-01 is before effective_from 2025-04-01"
    ]


def test_it_refuses_a_theme_the_partnership_does_not_have():
    data = example()
    data["protocols"][1]["themes"] = ["asb", "county_lines"]
    assert problems_of(data) == [
        "protocols[1].themes[1]: unknown theme 'county_lines' "
        "(use a standard theme or list it under themes)"
    ]


def test_it_refuses_a_protocol_with_one_signatory():
    data = example()
    data["protocols"][0]["signatories"] = ["police-fife"]
    assert problems_of(data) == ["protocols[0].signatories: needs at least 2 item(s)"]


def test_it_reports_every_problem_at_once():
    data = example()
    data["partnership"]["region"] = "south"
    data["funded_posts"][0]["annual_cost_gbp"] = "lots"
    data["users"][1]["email"] = "not an email"
    problems = problems_of(data)
    assert [p.split(":")[0] for p in problems] == [
        "partnership.region",
        "funded_posts[0].annual_cost_gbp",
        "users[1].email",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file: must be a mapping"),
        ("- a\n- b\n", "the file: must be a mapping"),
        ("partnership: 3\norganisations: []\n", "partnership: must be a mapping"),
        ("partnership:\n  code: Fife Council\n", "partnership.code: 'Fife Council' is not a valid"),
    ],
)
def test_it_explains_malformed_files(text, expected):
    with pytest.raises(PartnershipFileError) as caught:
        parse_partnership_file(text)
    assert caught.value.problems[0].startswith(expected), caught.value.problems


# Any value in any place: the reader either accepts the file or explains it; it never raises
# anything else (which would reach the user as a traceback).
json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.dates().map(str),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


EXAMPLE_PATHS = [p for p in _paths(example()) if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(EXAMPLE_PATHS), replacement=json_like)
def test_any_replaced_value_is_accepted_or_explained(path, replacement):
    data = example()
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = replacement
    try:
        validate_partnership_data(data)
    except PartnershipFileError as exc:
        assert exc.problems
        assert all(":" in problem for problem in exc.problems)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_is_accepted_or_explained(text):
    try:
        parse_partnership_file(text)
    except PartnershipFileError as exc:
        assert exc.problems
