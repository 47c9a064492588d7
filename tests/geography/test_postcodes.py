import pytest
from hypothesis import given
from hypothesis import strategies as st

from saferhub.geography.postcodes import postcode_normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DD1 4HN", "DD1 4HN"),
        ("dd14hn", "DD1 4HN"),
        ("  DD1   4HN ", "DD1 4HN"),
        ("EH1 1YZ", "EH1 1YZ"),
        ("g2 1aa", "G2 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A0AX", "W1A 0AX"),
        ("KY11 2RL", "KY11 2RL"),
    ],
)
def test_it_normalises_valid_postcodes(text, expected):
    assert postcode_normalise(text) == expected


@pytest.mark.parametrize("text", ["", "DD1", "DD1 4H", "1DD 4HN", "DD1 4CN", "DD1 44N", "DDD1 4HN"])
def test_it_refuses_what_is_not_a_postcode(text):
    with pytest.raises(ValueError, match="is not a UK postcode"):
        postcode_normalise(text)


letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
digits = st.sampled_from("0123456789")
inward_letters = st.sampled_from("ABDEFGHJLNPQRSTUWXYZ")
outward = st.builds(
    lambda area, district, extra: area + district + extra,
    st.lists(letters, min_size=1, max_size=2).map("".join),
    digits,
    st.one_of(st.just(""), letters, digits),
)
inward = st.builds(lambda *parts: "".join(parts), digits, inward_letters, inward_letters)
spacing = st.sampled_from(["", " ", "  ", "\t"])


@given(outward, inward, spacing, st.booleans())
def test_normalising_twice_changes_nothing(out, into, gap, lower):
    text = f"{out}{gap}{into}"
    text = text.lower() if lower else text
    once = postcode_normalise(text)
    assert postcode_normalise(once) == once
    assert once == f"{out} {into}"
