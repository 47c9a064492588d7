"""The linkage models: what is compared, how records are blocked into pairs, and training.

Each comparison level is written twice, side by side: as Splink's SQL condition (run by DuckDB
in bulk) and as a Python test of two prepared rows (run on arrival, saferhub.linkage.linking).
Keeping the two in one place is what lets a test hold them equal (tests/linkage/test_arrival.py
checks the scores agree with Splink's to within 1e-9).

The Python tests follow SQL's rules for missing values: a comparison with a missing value is
not true, so `_eq(None, None)` is False, as `NULL = NULL` is in SQL.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from rapidfuzz.distance import JaroWinkler

from saferhub.linkage.models import CandidatePair, EntityKind, LinkageModel, PairStatus
from saferhub.linkage.preparation import partnership_table
from saferhub.partnerships.models import Partnership, User

logger = logging.getLogger(__name__)

# Training is random sampling: the same seed, the same data, the same model.
SEED = 2026
U_MAX_PAIRS = 1_000_000
# The share of pairs in the blocked sets below that are expected to be the same person: the
# prior is estimated from the pairs that agree on a CHI number (or UPRN) and on name.
DETERMINISTIC_RECALL = 0.6
MAX_PRIOR = 0.5

Row = dict
Test = Callable[[Row, Row], bool]


def _eq(a: object, b: object) -> bool:
    return a is not None and b is not None and a == b


def _either_missing(column: str) -> Test:
    return lambda left, right: left[column] is None or right[column] is None


def _same(column: str) -> Test:
    return lambda left, right: _eq(left[column], right[column])


def _similar(column: str, threshold: float) -> Test:
    def test(left: Row, right: Row) -> bool:
        a, b = left[column], right[column]
        return a is not None and b is not None and JaroWinkler.similarity(a, b) >= threshold

    return test


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    test: Test | None  # None for the last level, which takes every pair left ("else")
    null: bool = False
    tf_column: str | None = None
    # Fixed, not trained: for evidence that decides (a UPRN), that another comparison weighs,
    # or whose m expectation maximisation cannot learn (see DISAGREEMENT_M). A level with m
    # fixed and u not still has u measured by random sampling.
    m: float | None = None
    u: float | None = None


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]
    # Every column the levels' tests read, on either side. An arriving record is the same left
    # row against hundreds of candidates, so a level is worked out once per distinct set of
    # these values on the right (saferhub.linkage.linking.CandidateScoring); a column missing
    # here would give a wrong level, which tests/linkage/test_arrival.py would catch.
    columns: tuple[str, ...] = ()


def _null(column: str, what: str) -> Level:
    return Level(
        f"{what} missing",
        f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        _either_missing(column),
        null=True,
    )


def _exact(column: str, label: str, tf: bool = False) -> Level:
    return Level(
        label,
        f'"{column}_l" = "{column}_r"',
        _same(column),
        tf_column=column if tf else None,
    )


def _jaro_winkler(column: str, threshold: float, label: str) -> Level:
    return Level(
        label,
        f'jaro_winkler_similarity("{column}_l", "{column}_r") >= {threshold}',
        _similar(column, threshold),
    )


ELSE = Level("All other", "ELSE", None)

# How often one person's records disagree outright, set rather than learned. Expectation
# maximisation learns m from pairs that agree on other keys, and the pairs that agree on
# family name, date of birth and address but not on given name or sex are mostly twins:
# it took them for one person, learned that a different given name or sex says little
# (about 5 bits against), and joined twins. The figures are what data entry gives: a given
# name wholly different (a middle name used, a name anglicised) in 1 record in 500; sex
# recorded wrongly in 1 in 200; a CHI number, checked by its own check digit, wrong in 1
# in 1,000; a date of birth wrong in two of its three parts (one wrong part, or day and month
# swapped, have levels of their own) in 1 in 1,000. The same-name neighbours of a street,
# born years apart, are what a learned figure joined there.
DISAGREEMENT_M = {"given_name": 0.002, "sex": 0.005, "chi": 0.001, "date_of_birth": 0.001}


def _disagreeing(comparison: str) -> Level:
    return Level("All other", "ELSE", None, m=DISAGREEMENT_M[comparison])


def _swapped(left: Row, right: Row) -> bool:
    return _eq(left["given_name"], right["family_name"]) and _eq(
        left["family_name"], right["given_name"]
    )


SWAPPED_SQL = '"given_name_l" = "family_name_r" AND "family_name_l" = "given_name_r"'


def _known_by(left: Row, right: Row) -> bool:
    """One side's family name is among the other's other names (a maiden name, an alias)."""
    a, b = left["family_name"], right["family_name"]
    return (
        a is not None and right["other_names"] is not None and f" {a} " in right["other_names"]
    ) or (b is not None and left["other_names"] is not None and f" {b} " in left["other_names"])


KNOWN_BY_SQL = (
    "strpos(\"other_names_r\", ' ' || \"family_name_l\" || ' ') > 0 "
    "OR strpos(\"other_names_l\", ' ' || \"family_name_r\" || ' ') > 0"
)


def _parts_agreeing(left: Row, right: Row) -> int:
    return sum(_eq(left[part], right[part]) for part in ("dob_year", "dob_month", "dob_day"))


def _dob_exact(left: Row, right: Row) -> bool:
    return _parts_agreeing(left, right) == 3


def _dob_month_known(left: Row, right: Row) -> bool:
    return (
        _eq(left["dob_year"], right["dob_year"])
        and _eq(left["dob_month"], right["dob_month"])
        and (left["dob_day"] is None or right["dob_day"] is None)
    )


def _dob_transposed(left: Row, right: Row) -> bool:
    return (
        _eq(left["dob_year"], right["dob_year"])
        and _eq(left["dob_day"], right["dob_month"])
        and _eq(left["dob_month"], right["dob_day"])
    )


def _dob_year_known(left: Row, right: Row) -> bool:
    return _eq(left["dob_year"], right["dob_year"]) and (
        left["dob_month"] is None or right["dob_month"] is None
    )


AGREEING_SQL = " + ".join(
    f'coalesce(CAST("{part}_l" = "{part}_r" AS INTEGER), 0)'
    for part in ("dob_year", "dob_month", "dob_day")
)


def _lived_same_postcode(left: Row, right: Row) -> bool:
    a, b = left["postcodes"], right["postcodes"]
    return a is not None and b is not None and bool(set(a) & set(b))


def _same_numbers(left: Row, right: Row) -> bool:
    return (left["address_numbers"] or "") == (right["address_numbers"] or "")


SAME_NUMBERS_SQL = "coalesce(\"address_numbers_l\", '') = coalesce(\"address_numbers_r\", '')"


def _words_shared(left: Row, right: Row) -> bool:
    """The same flat and house numbers, and most of the address's words in common: 7 in 10 of
    the longer's (integers, so that SQL and Python agree exactly)."""
    a, b = left["address_tokens"], right["address_tokens"]
    if a is None or b is None or not _same_numbers(left, right):
        return False
    return len(set(a) & set(b)) * 10 >= 7 * max(len(a), len(b))


WORDS_SHARED_SQL = (
    f"{SAME_NUMBERS_SQL} AND "
    'len(list_intersect("address_tokens_l", "address_tokens_r")) * 10 '
    '>= 7 * greatest(len("address_tokens_l"), len("address_tokens_r"))'
)


_MISSING_SQL = '"{column}_l" IS NULL OR "{column}_r" IS NULL'
# The same postcode, or one side without one: a partner that leaves postcodes out still
# writes the same address.
POSTCODE_AGREES_SQL = '"postcode_l" = "postcode_r" OR "postcode_l" IS NULL OR "postcode_r" IS NULL'


def _postcode_agrees(left: Row, right: Row) -> bool:
    return (
        left["postcode"] is None
        or right["postcode"] is None
        or left["postcode"] == right["postcode"]
    )


def _nearly_same_address(left: Row, right: Row) -> bool:
    return _same_numbers(left, right) and _similar("address_key", 0.9)(left, right)


PERSON_COMPARISONS = (
    Comparison(
        "given_name",
        "Given name",
        (
            _null("given_name", "Given name"),
            _exact("given_name", "Same given name", tf=True),
            Level(
                "Same name, one a familiar form (Rab, Robert)",
                '"given_canonical_l" = "given_canonical_r"',
                _same("given_canonical"),
            ),
            Level("Given and family names swapped", SWAPPED_SQL, _swapped),
            _jaro_winkler("given_name", 0.9, "Given names nearly the same"),
            _jaro_winkler("given_name", 0.75, "Given names alike"),
            _disagreeing("given_name"),
        ),
        ("given_name", "family_name", "given_canonical"),
    ),
    Comparison(
        "family_name",
        "Family name",
        (
            _null("family_name", "Family name"),
            _exact("family_name", "Same family name", tf=True),
            # Weighed once, under the given name: m = u here, so it adds nothing twice.
            Level("Given and family names swapped", SWAPPED_SQL, _swapped, m=0.01, u=0.01),
            Level("Family name among the other's other names", KNOWN_BY_SQL, _known_by),
            _jaro_winkler("family_name", 0.92, "Family names nearly the same"),
            _jaro_winkler("family_name", 0.8, "Family names alike"),
            ELSE,
        ),
        ("family_name", "given_name", "other_names"),
    ),
    Comparison(
        "date_of_birth",
        "Date of birth",
        (
            _null("dob_year", "Date of birth"),
            Level("Same date of birth", f"({AGREEING_SQL}) = 3", _dob_exact),
            Level(
                "Same month and year (day not known on one side)",
                '"dob_year_l" = "dob_year_r" AND "dob_month_l" = "dob_month_r" '
                'AND ("dob_day_l" IS NULL OR "dob_day_r" IS NULL)',
                _dob_month_known,
            ),
            Level(
                "Day and month swapped",
                '"dob_year_l" = "dob_year_r" AND "dob_day_l" = "dob_month_r" '
                'AND "dob_month_l" = "dob_day_r"',
                _dob_transposed,
            ),
            Level(
                "Two of day, month and year the same",
                f"({AGREEING_SQL}) = 2",
                lambda left, right: _parts_agreeing(left, right) == 2,
            ),
            Level(
                "Same year (month not known on one side)",
                '"dob_year_l" = "dob_year_r" AND ("dob_month_l" IS NULL OR "dob_month_r" IS NULL)',
                _dob_year_known,
            ),
            _disagreeing("date_of_birth"),
        ),
        ("dob_year", "dob_month", "dob_day"),
    ),
    Comparison(
        "sex",
        "Sex",
        (_null("sex", "Sex"), _exact("sex", "Same sex"), _disagreeing("sex")),
        ("sex",),
    ),
    Comparison(
        "chi",
        "CHI number",
        (_null("chi", "CHI number"), _exact("chi", "Same CHI number"), _disagreeing("chi")),
        ("chi",),
    ),
    # Where someone lives is one comparison, not a postcode and an address weighed apart: the
    # same address nearly always means the same postcode, and counting both would weigh one
    # piece of evidence twice (what joined twins and people at one address into one).
    Comparison(
        "home",
        "Where they live",
        (
            Level(
                "Address missing",
                f"({_MISSING_SQL.format(column='address_key')}) "
                f"AND ({_MISSING_SQL.format(column='postcode')})",
                # The postcode is tested first here and below: an arriving record's candidate
                # has its address folded only when a test reads it (linking._UnfoldedAddress),
                # and with two different postcodes none of these three levels needs it.
                lambda left, right: (
                    _either_missing("postcode")(left, right)
                    and _either_missing("address_key")(left, right)
                ),
                null=True,
            ),
            Level(
                "Same address",
                f'"address_key_l" = "address_key_r" AND ({POSTCODE_AGREES_SQL})',
                lambda left, right: (
                    _postcode_agrees(left, right) and _eq(left["address_key"], right["address_key"])
                ),
            ),
            Level(
                "Most words of the address the same",
                f"{WORDS_SHARED_SQL} AND ({POSTCODE_AGREES_SQL})",
                lambda left, right: _postcode_agrees(left, right) and _words_shared(left, right),
            ),
            _exact("postcode", "Same postcode, another address"),
            Level(
                "Lived at the same postcode",
                'list_has_any("postcodes_l", "postcodes_r")',
                _lived_same_postcode,
            ),
            Level("Lives elsewhere", "ELSE", None),
        ),
        ("address_key", "address_tokens", "address_numbers", "postcode", "postcodes"),
    ),
)

PLACE_COMPARISONS = (
    # A UPRN names one property: the same UPRN decides a match, different ones decide against.
    Comparison(
        "uprn",
        "UPRN",
        (
            _null("uprn", "UPRN"),
            Level("Same UPRN", '"uprn_l" = "uprn_r"', _same("uprn"), m=0.999999, u=1e-7),
            Level("Different UPRN", "ELSE", None, m=1e-7, u=0.999999),
        ),
        ("uprn",),
    ),
    Comparison(
        "postcode",
        "Postcode",
        (
            _null("postcode", "Postcode"),
            _exact("postcode", "Same postcode"),
            _exact("postcode_sector", "Same postcode sector"),
            ELSE,
        ),
        ("postcode", "postcode_sector"),
    ),
    Comparison(
        "house_number",
        "House number",
        (
            _null("house_number", "House number"),
            _exact("house_number", "Same house number"),
            ELSE,
        ),
        ("house_number",),
    ),
    Comparison(
        "address",
        "Address",
        (
            _null("address_key", "Address"),
            _exact("address_key", "Same address", tf=True),
            Level("Most words of the address the same", WORDS_SHARED_SQL, _words_shared),
            Level(
                "Addresses nearly the same",
                f'{SAME_NUMBERS_SQL} AND jaro_winkler_similarity("address_key_l", '
                '"address_key_r") >= 0.9',
                _nearly_same_address,
            ),
            ELSE,
        ),
        ("address_key", "address_tokens", "address_numbers"),
    ),
)

COMPARISONS = {EntityKind.PERSON: PERSON_COMPARISONS, EntityKind.PLACE: PLACE_COMPARISONS}


def _block(*columns: str) -> str:
    return " AND ".join(f'l."{column}" = r."{column}"' for column in columns)


# Blocking: which pairs are compared at all. Every rule joins on two keys, or on one that is
# nearly unique (CHI, UPRN), so the pairs grow about as fast as the records: a rule on date of
# birth alone would compare everyone born in a year with everyone else born in it.
PERSON_BLOCKING = [
    _block("chi"),
    # A name and the month of birth, not the year alone: at 1,000,000 people everyone called
    # Smith born in 1984 made 20,000 pairs, and these two rules 190 million pairs in all.
    _block("family_name", "dob_year", "dob_month"),
    _block("given_canonical", "dob_year", "dob_month"),
    # The same full name and year (a date known only to the year on one side), or day and
    # month (the year mistyped).
    _block("family_name", "given_canonical", "dob_year"),
    _block("family_name", "given_canonical", "dob_month", "dob_day"),
    # The same full name with no date of birth on one side. Two rules, each naming the side
    # without one, so that the database picks those few records before joining.
    _block("family_name", "given_canonical") + ' AND l."dob_year" IS NULL',
    _block("family_name", "given_canonical") + ' AND r."dob_year" IS NULL',
    'l."given_name" = r."family_name" AND l."family_name" = r."given_name"',
    _block("postcode", "given_canonical"),
    # Both names mistyped: the same date of birth at the same postcode still brings them.
    _block("dob_year", "dob_month", "dob_day", "postcode"),
]
PLACE_BLOCKING = [
    _block("uprn"),
    _block("postcode", "house_number"),
    _block("postcode", "address_key"),
    _block("address_key"),
]
BLOCKING = {EntityKind.PERSON: PERSON_BLOCKING, EntityKind.PLACE: PLACE_BLOCKING}

# Expectation maximisation runs on pairs blocked on some keys and learns how much every other
# comparison says; two or more rounds on different keys learn them all. Not on postcode or
# address: the pairs at one address are mostly households, and the rounds would learn to tell
# households apart rather than people.
PERSON_TRAINING_BLOCKS = [
    _block("family_name", "dob_year"),
    _block("dob_year", "dob_month", "dob_day"),
]
PLACE_TRAINING_BLOCKS = [_block("postcode"), _block("house_number", "postcode_sector")]
TRAINING_BLOCKS = {
    EntityKind.PERSON: PERSON_TRAINING_BLOCKS,
    EntityKind.PLACE: PLACE_TRAINING_BLOCKS,
}
# Pairs surely the same, for the prior: a shared CHI number; the same full name and date of
# birth; a UPRN; the same address and postcode.
DETERMINISTIC = {
    EntityKind.PERSON: [
        _block("chi"),
        _block("family_name", "given_canonical", "dob_year", "dob_month", "dob_day"),
    ],
    EntityKind.PLACE: [_block("uprn"), _block("address_key", "postcode")],
}


def _level_settings(level: Level) -> dict:
    settings: dict = {"sql_condition": level.sql, "label_for_charts": level.label}
    if level.null:
        settings["is_null_level"] = True
    if level.tf_column:
        settings["tf_adjustment_column"] = level.tf_column
        settings["tf_adjustment_weight"] = 1.0
        # The level's own u, not a guess at which level is the exact match: what Python does too.
        settings["disable_tf_exact_match_detection"] = True
    if level.m is not None:
        settings |= {"m_probability": level.m, "fix_m_probability": True}
    if level.u is not None:
        settings |= {"u_probability": level.u, "fix_u_probability": True}
    return settings


def splink_settings(kind: str) -> dict:
    """The untrained Splink settings of `kind`: comparisons and blocking rules."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": [
            {
                "output_column_name": comparison.name,
                "comparison_description": comparison.description,
                "comparison_levels": [_level_settings(level) for level in comparison.levels],
            }
            for comparison in COMPARISONS[kind]
        ],
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule} for rule in BLOCKING[kind]
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": ["organisation_id"],
        # Enough to converge; more only drives the m of a level no match reaches towards an
        # underflow (below 1e-300) that Splink refuses.
        "max_iterations": 10,
    }


def splink_linker(table, settings: dict, frequencies: dict[str, dict[str, float]] | None = None):
    """A Splink linker on DuckDB over a prepared table, and its database; quiet (Splink logs
    every step). Given term frequencies (a model's), Splink uses them rather than counting the
    table's own, so that a pair scores the same in bulk as on arrival."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI()
    frame = db_api.register(table, dataset_display_name="records")
    linker = Linker(frame, settings, log_level=logging.ERROR)
    for column, shares in (frequencies or {}).items():
        lookup = pa.table(
            {
                column: pa.array(list(shares), type=pa.string()),
                f"tf_{column}": pa.array(list(shares.values()), type=pa.float64()),
            }
        )
        registered = db_api.register(lookup, table_name=f"saferhub_tf_{column}")
        linker.table_management.register_term_frequency_lookup(registered, column)
    return linker, db_api


def term_frequencies(table, kind: str) -> dict[str, dict[str, float]]:
    """For each column with a term-frequency adjustment, each value's share of the records
    that have one: how common a name is."""
    frequencies: dict[str, dict[str, float]] = {}
    for comparison in COMPARISONS[kind]:
        for level in comparison.levels:
            if not level.tf_column:
                continue
            values = [v for v in table.column(level.tf_column).to_pylist() if v is not None]
            counts: dict[str, int] = {}
            for value in values:
                counts[value] = counts.get(value, 0) + 1
            frequencies[level.tf_column] = {v: c / len(values) for v, c in counts.items()}
    return frequencies


# Training learns from a sample of this many records at most. The pairs a training round
# compares grow with the square of the records (a round blocked on date of birth compares
# everyone born on one day): at 1,000,000 people they took 13 GiB. A quarter of a million
# records still holds thousands of true pairs in each round, enough to learn every m; the
# prior is unchanged by sampling (matches and pairs both shrink by the square of the rate),
# and term frequencies are counted on all the records.
TRAINING_MAX_RECORDS = 250_000


def training_sample(table: pa.Table, limit: int = TRAINING_MAX_RECORDS) -> pa.Table:
    """The records training learns from: all of them, or `limit` chosen at random (seeded,
    so that the same records give the same model)."""
    if table.num_rows <= limit:
        return table
    import numpy as np

    chosen = np.sort(np.random.default_rng(SEED).choice(table.num_rows, limit, replace=False))
    return table.take(pa.array(chosen))


# No trained m below this: on a small set, expectation maximisation drives the m of a level
# no matching pair happened to reach to zero, a weight of minus hundreds that no other evidence
# could outweigh. At 1e-3 a disagreement weighs at most about minus ten.
M_FLOOR = 1e-3
# A level random sampling never reached is rare among non-matches, not impossible.
U_UNSEEN = 1e-4


def _fill_unobserved(settings: dict) -> None:
    """Make every level usable: a level no training pair reached has no m (or u) and the model
    could not score with it. Give it a modest default: u as rarely seen, m by its place in the
    comparison (the first, closest level likeliest among matches); and floor m (M_FLOOR)."""
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for position, level in enumerate(levels):
            if not isinstance(level.get("u_probability"), float | int):
                level["u_probability"] = U_UNSEEN
            if level.get("fix_m_probability"):
                continue
            m = level.get("m_probability")
            if not isinstance(m, float | int):
                if position == 0:
                    m = 0.9
                elif position == len(levels) - 1:
                    m = 0.02
                else:
                    m = 0.08 / max(len(levels) - 2, 1)
            level["m_probability"] = max(float(m), M_FLOOR)


# How many reviewed pairs expectation maximisation's estimate of m is worth. Reviewed pairs
# are the hard cases the queue showed, not a fair sample of matches, so they refine m rather
# than replace it: a hundred decisions move it half way.
DECISION_PRIOR_PAIRS = 100


def _record_model(kind: str):
    from saferhub.people.models import PersonRecord
    from saferhub.places.models import PlaceRecord

    return PersonRecord if kind == EntityKind.PERSON else PlaceRecord


def _learn_from_decisions(settings: dict, *, partnership: Partnership, kind: str) -> int:
    """Refine each learned m with the pairs reviewers decided were the same: a level's m
    becomes (m x DECISION_PRIOR_PAIRS + the decided pairs at that level) / (DECISION_PRIOR_PAIRS
    + the decided pairs the comparison could judge). Levels whose m is set are left as they
    are. Returns how many decided pairs were used (their records may since have gone)."""
    from saferhub.linkage.preparation import rows_of

    pairs = list(
        CandidatePair.objects.filter(
            partnership=partnership, kind=kind, status=PairStatus.SAME
        ).values_list("left_record_id", "right_record_id")
    )
    if not pairs:
        return 0
    ids = {record_id for pair in pairs for record_id in pair}
    records = _record_model(kind).objects.filter(pk__in=ids)
    rows = {row["unique_id"]: row for row in rows_of(kind, records)}
    pairs = [(rows[a], rows[b]) for a, b in pairs if a in rows and b in rows]
    by_name = {c["output_column_name"]: c for c in settings["comparisons"]}
    for comparison in COMPARISONS[kind]:
        saved_levels = by_name[comparison.name]["comparison_levels"]
        counts = [0] * len(comparison.levels)
        for left, right in pairs:
            for position, level in enumerate(comparison.levels):
                if level.test is None or level.test(left, right):
                    counts[position] += 1
                    break
        judged = sum(
            c for c, level in zip(counts, comparison.levels, strict=True) if not level.null
        )
        if not judged:
            continue
        for count, level, saved in zip(counts, comparison.levels, saved_levels, strict=True):
            if level.null or saved.get("fix_m_probability"):
                continue
            m = saved["m_probability"]
            refined = (m * DECISION_PRIOR_PAIRS + count) / (DECISION_PRIOR_PAIRS + judged)
            saved["m_probability"] = max(refined, M_FLOOR)
    return len(pairs)


def linkage_model_train(
    *, partnership: Partnership, kind: str, user: User | None = None
) -> LinkageModel:
    """Train a linkage model of `kind` on the records of the partnership's organisations and
    keep it as the next version: u by random sampling, m by expectation maximisation over
    several blocking rules, the prior from pairs that share a CHI number (or UPRN)."""
    full_table = partnership_table(partnership=partnership, kind=kind)
    if full_table.num_rows < 2:
        raise ValueError("There are too few records to train a model on.")
    table = training_sample(full_table)
    linker, _database = splink_linker(table, splink_settings(kind))
    training = linker.training
    try:
        training.estimate_probability_two_random_records_match(
            DETERMINISTIC[kind], recall=DETERMINISTIC_RECALL
        )
    except ValueError:
        # A small set where the surely-same pairs are more than 60% of all the pairs there
        # could be (three records of one person): take them as all there are.
        training.estimate_probability_two_random_records_match(DETERMINISTIC[kind], recall=1.0)
    settings_obj = linker._settings_obj
    # Never surer than even odds before any comparison: at 1 the prior's weight is infinite.
    settings_obj._probability_two_random_records_match = min(
        settings_obj._probability_two_random_records_match or 0.0, MAX_PRIOR
    )
    if not linker._settings_obj._probability_two_random_records_match:
        # No pair surely the same (a new partnership's first records): start from each record
        # having one match among the others; expectation maximisation refines it.
        linker._settings_obj._probability_two_random_records_match = 1 / table.num_rows
    training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    rounds = []
    settings = linker.misc.save_model_to_json()
    for rule in TRAINING_BLOCKS[kind]:
        try:
            training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # Splink raises plain exceptions
            # A round with no pairs (a small set with no shared postcodes), or whose estimates
            # underflow, teaches nothing; and it may leave the linker half-changed, so go on
            # from the model as it was before the round.
            logger.info("Training round %s skipped: %s", rule, exc)
            linker, _database = splink_linker(table, settings)
            training = linker.training
            continue
        rounds.append(rule)
        settings = linker.misc.save_model_to_json()
    _fill_unobserved(settings)
    missing = {c.name for c in COMPARISONS[kind]} - {
        c["output_column_name"] for c in settings["comparisons"]
    }
    if missing:
        raise RuntimeError(f"Training lost the comparisons {sorted(missing)}; nothing was kept.")
    organisations = {}
    for organisation_id in full_table.column("organisation_id").to_pylist():
        organisations[str(organisation_id)] = organisations.get(str(organisation_id), 0) + 1
    decided = CandidatePair.objects.filter(
        partnership=partnership, kind=kind, status__in=[PairStatus.SAME, PairStatus.DIFFERENT]
    ).count()
    learned = _learn_from_decisions(settings, partnership=partnership, kind=kind)
    trained_on = {
        "date": timezone.now().isoformat(),
        "records": full_table.num_rows,
        "records_sampled": table.num_rows,
        "records_by_organisation": organisations,
        "seed": SEED,
        "trained_by": user.pk if user else None,
        "training_rounds": rounds,
        "decided_pairs": decided,
        "decided_pairs_used": learned,
        "decided_pairs_note": (
            "Pairs a reviewer decided were the same person (or place) refine what the model "
            "learned of how one person's records agree (m): each counts as one more example "
            f"beside the {DECISION_PRIOR_PAIRS} that expectation maximisation's figure is worth. "
            "Pairs decided different are never proposed again and never joined."
        ),
        "term_frequencies": term_frequencies(full_table, kind),
        "splink_version": _splink_version(),
    }
    with transaction.atomic():
        latest = LinkageModel.objects.filter(partnership=partnership, kind=kind).aggregate(
            Max("version")
        )["version__max"]
        return LinkageModel.objects.create(
            partnership=partnership,
            kind=kind,
            version=(latest or 0) + 1,
            settings=settings,
            trained_on=trained_on,
        )


def _splink_version() -> str:
    import splink

    return splink.__version__


def linkage_model_latest(*, partnership: Partnership, kind: str) -> LinkageModel | None:
    return (
        LinkageModel.objects.filter(partnership=partnership, kind=kind).order_by("-version").first()
    )
