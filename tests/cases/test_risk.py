"""The risk matrix: likelihood times impact gives red, amber or green."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saferhub.cases.models import Rag, rag_of

ORDER = {Rag.GREEN: 0, Rag.AMBER: 1, Rag.RED: 2}
scores = st.integers(min_value=1, max_value=5)


@pytest.mark.parametrize(
    ("likelihood", "impact", "rag"),
    [
        (1, 1, Rag.GREEN),
        (2, 3, Rag.GREEN),
        (3, 2, Rag.GREEN),
        (2, 4, Rag.AMBER),
        (3, 3, Rag.AMBER),
        (3, 4, Rag.AMBER),
        (3, 5, Rag.RED),
        (5, 3, Rag.RED),
        (4, 4, Rag.RED),
        (5, 5, Rag.RED),
        (1, 5, Rag.GREEN),
        (5, 1, Rag.GREEN),
    ],
)
def test_the_matrix_rates_each_corner_and_boundary(likelihood, impact, rag):
    assert rag_of(likelihood, impact) == rag


@given(scores, scores)
def test_the_rating_is_symmetric(likelihood, impact):
    assert rag_of(likelihood, impact) == rag_of(impact, likelihood)


@given(scores, scores, scores, scores)
def test_more_likely_or_worse_is_never_rated_lower(l1, i1, l2, i2):
    if l1 <= l2 and i1 <= i2:
        assert ORDER[rag_of(l1, i1)] <= ORDER[rag_of(l2, i2)]


@given(scores, scores)
def test_the_rating_follows_the_product(likelihood, impact):
    score = likelihood * impact
    expected = Rag.RED if score >= 15 else Rag.AMBER if score >= 8 else Rag.GREEN
    assert rag_of(likelihood, impact) == expected


@given(
    st.one_of(
        st.tuples(st.integers(max_value=0) | st.integers(min_value=6), scores),
        st.tuples(scores, st.integers(max_value=0) | st.integers(min_value=6)),
    )
)
def test_scores_outside_one_to_five_are_refused(pair):
    with pytest.raises(ValueError, match="1 to 5"):
        rag_of(*pair)
