"""The linkage benchmark's labelled population (bench/linkage_population.py) and its pairwise
scores: the same seed gives the same records, every corruption turns up, the traps (twins,
same-name neighbours) are what they say, and the scores are right on hand-made clusterings."""

import itertools

import numpy as np
import pytest

from bench import linkage_population as lp
from bench.bench_linkage import baseline_labels
from saferhub.people.identifiers import name_key
from saferhub.people.models import PersonAddress, PersonRecord


def _records(people: int, seed: int = 3, chunk: int = lp.CHUNK) -> list[tuple]:
    rows = []
    for batch in lp.batches(people, seed=seed, chunk=chunk):
        for i in range(len(batch.number)):
            rows.append(
                (
                    int(batch.number[i]),
                    int(batch.person[i]),
                    int(batch.partner[i]),
                    int(batch.flags[i]),
                    batch.given[i],
                    batch.family[i],
                    batch.born[i],
                    batch.precision[i],
                    batch.address[i],
                    batch.postcode[i],
                )
            )
    return rows


@pytest.fixture(scope="module")
def population() -> list[tuple]:
    return _records(4000)


def test_the_same_seed_gives_the_same_records():
    assert _records(600) == _records(600)
    assert _records(600) != _records(600, seed=4)


def test_records_are_made_a_chunk_at_a_time():
    # A chunk's people are numbered from where the last chunk stopped; records likewise.
    records = _records(600, chunk=250)
    assert [r[0] for r in records] == list(range(len(records)))
    assert max(r[1] for r in records) < 600
    assert sorted({r[1] for r in records}) == sorted(set(r[1] for r in records))


def test_every_corruption_turns_up(population):
    flags = np.array([r[3] for r in population])
    for name, bit in lp.VARIATIONS.items():
        assert ((flags & bit) != 0).sum() > 0, name
    # Most people are known to one partner or none; some to several.
    per_person = np.bincount([r[1] for r in population])
    assert per_person.max() >= 4
    assert 0.8 < len(population) / 4000 < 1.4


def _clean(record: tuple) -> bool:
    spoiled = (
        lp.NICKNAME
        | lp.TYPO_GIVEN
        | lp.TYPO_FAMILY
        | lp.SPELLING
        | lp.SWAPPED
        | lp.NO_BIRTH
        | lp.YEAR_ONLY
        | lp.MONTH_ONLY
        | lp.DAY_MONTH
        | lp.OLD_ADDRESS
        | lp.NO_POSTCODE
    )
    return not record[3] & spoiled


def test_twins_share_family_name_address_and_birthday_not_given_name(population):
    twins = [r for r in population if r[3] & lp.TWIN and _clean(r)]
    pairs = [
        (a, b)
        for a, b in itertools.combinations(twins, 2)
        if a[1] != b[1] and a[5] == b[5] and a[6] == b[6] and a[9] == b[9]
    ]
    assert pairs
    assert all(a[4] != b[4] for a, b in pairs)


def test_same_name_neighbours_differ_in_birthday(population):
    named = [r for r in population if r[3] & lp.SAME_NAME_NEIGHBOUR and _clean(r)]
    pairs = [
        (a, b)
        for a, b in itertools.combinations(named, 2)
        if a[1] != b[1] and (a[4], a[5]) == (b[4], b[5]) and a[9][:-2] == b[9][:-2]
    ]
    assert pairs
    assert any(a[6] != b[6] for a, b in pairs)


def test_partners_keep_their_own_address_formats():
    home = lp.Home(14, "2/1", "Lochee Road", "Dundee", "DD1 0AB")
    assert lp.address_line(home, lp.HOUSING, 0.1) == ("Flat 2/1, 14 Lochee Road", False)
    assert lp.address_line(home, lp.POLICE, 0.1) == ("2/1, 14 LOCHEE ROAD", True)
    assert lp.address_line(home, lp.FIRE, 0.1) == ("Flat 2/1, 14 Lochee Rd", True)
    assert lp.address_line(home, lp.COUNCIL, 0.1) == ("2/1 14 Lochee Road, Dundee", True)


def test_pairwise_scores_on_hand_made_clusterings():
    truth = np.array([1, 1, 2, 2, 3])
    perfect = lp.pairwise_scores(np.array([7, 7, 9, 9, 4]), truth)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    # One wrong merge: record 2 joins the first pair. Three pairs claimed, one right.
    merged = lp.pairwise_scores(np.array([7, 7, 7, 9, 4]), truth)
    assert (merged.predicted_pairs, merged.true_pairs, merged.correct_pairs) == (3, 2, 1)
    assert merged.precision == pytest.approx(1 / 3)
    assert merged.recall == pytest.approx(1 / 2)
    assert merged.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    # Nothing linked: no wrong pair, but no right one either.
    alone = lp.pairwise_scores(np.arange(5), truth)
    assert (alone.precision, alone.recall, alone.f1) == (1.0, 0.0, 0.0)
    # Everything in one cluster: every true pair found, among ten claimed.
    lumped = lp.pairwise_scores(np.zeros(5), truth)
    assert (lumped.precision, lumped.recall) == (0.2, 1.0)


def test_load_stores_records_with_keys_and_holds_some_back(fife):
    organisations = list(
        fife.memberships.order_by("pk").values_list("organisation_id", flat=True)[:5]
    )
    truth, held = lp.load(300, organisations, hold_out=10)
    assert PersonRecord.objects.count() == len(truth)
    assert PersonAddress.objects.count() == len(truth)
    record = PersonRecord.objects.get(pk=int(truth.record_id[0]))
    assert record.given_key == name_key(record.given_name)
    assert record.family_key == name_key(record.family_name)
    assert len(held.truth) == 10
    assert not PersonRecord.objects.filter(pk__in=held.truth.record_id.tolist()).exists()
    arrived = held.store()
    assert PersonRecord.objects.filter(pk__in=arrived.record_id.tolist()).count() == 10
    # The baseline reads the stored records: exact name and birthday, never with no birthday.
    labels = baseline_labels(truth)
    scores = lp.pairwise_scores(labels, truth.person)
    assert 0.5 < scores.precision <= 1.0
    assert 0.0 < scores.recall < 1.0
