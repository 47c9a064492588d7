"""How addresses are prepared for comparison: the town some partners write is left out."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saferhub.linkage.preparation import without_locality


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (("23 Lochee Rd, Dundee", ""), "23 Lochee Rd"),
        (("12 High St, Broughty Ferry, Dundee", ""), "12 High St"),
        (("12 High St", "Broughty Ferry"), "12 High St"),
        (("Flat 2/1, 14 Main St, Dundee", ""), "Flat 2/1, 14 Main St"),
        # No number anywhere: nothing tells the street from the town, so nothing is dropped.
        (("Baxter Park, Dundee", ""), "Baxter Park, Dundee"),
        (("0/2 7 Menzieshill Road", ""), "0/2 7 Menzieshill Road"),
    ],
)
def test_the_town_after_the_street_is_left_out(lines, expected):
    assert without_locality(*lines) == expected


words = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).filter(str.strip)


@given(number=st.integers(1, 999), street=words, towns=st.lists(words, max_size=3))
def test_the_same_street_with_or_without_towns_compares_the_same(number, street, towns):
    bare = without_locality(f"{number} {street}")
    assert without_locality(", ".join([f"{number} {street}", *towns])) == bare
    assert without_locality(f"{number} {street}", ", ".join(towns)) == bare
