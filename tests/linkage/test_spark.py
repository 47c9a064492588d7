"""The same model on Spark: a model trained in the hub, run by Splink's Spark backend in local
mode over the prepared records as Parquet, gives the same pairs, levels and scores as the bulk
run on DuckDB (saferhub.linkage.spark)."""

import copy
import datetime
import logging
import math
import os
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark import SparkContext
from pyspark.sql import SparkSession
from splink import SparkAPI

from saferhub.incidents.vocabulary import Sex
from saferhub.linkage.linking import scores_of_pairs
from saferhub.linkage.models import EntityKind
from saferhub.linkage.preparation import (
    COLUMNS,
    partnership_rows,
    partnership_table,
    rows_table,
)
from saferhub.linkage.spark import (
    LIST_COLUMNS,
    SAFERHUB_JARO_WINKLER,
    SPLINK_JARO_WINKLER,
    predict_on_spark,
    register_jaro_winkler,
    spark_settings,
    splink_jar,
)
from saferhub.linkage.training import (
    COMPARISONS,
    linkage_model_train,
    splink_linker,
    splink_settings,
)
from saferhub.partnerships.models import Organisation
from tests.linkage.conftest import person_record
from tests.linkage.test_arrival import _tricky_records

# In the normal suite, never skipped (pyspark is a pinned test dependency). One xdist worker
# runs the module, so that `make test` starts one JVM for it, not one per worker.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("spark"), pytest.mark.spark]

# Summing the same weights in another order (Spark's plan is not DuckDB's) may change the last
# bits of a double; anything larger would be a different level or parameter.
TOLERANCE = 1e-9

DUCKDB_ONLY = ("list_has_any", "list_intersect", "len(", "jaro_winkler_similarity", "strpos")


def _more_records(fife) -> None:
    """Records that reach the levels the tricky records of test_arrival do not: a family name
    among the other's other names, most words of an address, given names alike; and a name
    the jar's Jaro-Winkler would put a level lower."""
    police = Organisation.objects.get(code="police-fife")
    council = Organisation.objects.get(code="fife-council-asb")
    born = datetime.date(1990, 5, 6)
    person_record(
        police,
        "S1",
        given="Morag",
        family="Brown",
        other_names=("Kerr",),
        born=born,
        sex=Sex.FEMALE,
        address="12 Kirkton Road West",
        postcode="KY1 1AA",
    )
    person_record(
        council,
        "S2",
        given="Morag",
        family="Kerr",
        born=born,
        sex=Sex.FEMALE,
        address="12 Kirkton Road",
        postcode="KY1 1AA",
    )
    person_record(council, "S3", given="Moira", family="Kerr", born=born, sex=Sex.FEMALE)
    # A dropped letter whose Jaro-Winkler similarity Splink's jar scores below 0.92 and the
    # hub above (test_splinks_jar_scores_a_transposition_otherwise).
    born = datetime.date(1977, 8, 9)
    person_record(police, "S4", given="Ewan", family="Henderson", born=born, sex=Sex.MALE)
    person_record(council, "S5", given="Ewan", family="Hnderson", born=born, sex=Sex.MALE)


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    """A Spark session in local mode, one core and little memory, with Splink's jar of SQL
    functions; stopped when the module's tests are done."""
    # Spark's Python workers (the hub's Jaro-Winkler) run this interpreter, with rapidfuzz.
    python = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[1]")
        .appName("saferhub-linkage-test")
        .config("spark.jars", splink_jar())
        .config("spark.driver.memory", "1g")
        # For a JVM that lives half a minute over 150 records: the quick compiler only, and no
        # generated code (compiling it costs more than it saves here); together about a third
        # off the test's time.
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    logging.getLogger("py4j").setLevel(logging.WARNING)
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("spark-checkpoints")))
    yield session
    session.stop()
    # The JVM would otherwise idle on for the rest of the test run: closing its stdin ends it
    # (pyspark's own way at exit), and a later session starts a new one.
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        gateway.proc.stdin.close()
        gateway.proc.wait(timeout=30)
        SparkContext._gateway = None
        SparkContext._jvm = None
    if python is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = python


def test_the_list_columns_are_the_prepared_tables_lists():
    assert {
        name
        for columns in COLUMNS.values()
        for name, kind in columns.items()
        if pa.types.is_list(kind)
    } == LIST_COLUMNS


def test_spark_settings_rewrite_the_conditions_and_keep_the_parameters():
    for kind in (EntityKind.PERSON, EntityKind.PLACE):
        settings = splink_settings(kind)
        settings["comparisons"][0]["comparison_levels"][1]["m_probability"] = 0.123
        before = copy.deepcopy(settings)
        rewritten = spark_settings(settings)
        assert settings == before
        assert rewritten["sql_dialect"] == "spark"
        assert rewritten["comparisons"][0]["comparison_levels"][1]["m_probability"] == 0.123
        conditions = [
            level["sql_condition"]
            for comparison in rewritten["comparisons"]
            for level in comparison["comparison_levels"]
        ] + [rule["blocking_rule"] for rule in rewritten["blocking_rules_to_generate_predictions"]]
        spark_sql = " ".join(conditions).lower()
        assert not any(name in spark_sql for name in DUCKDB_ONLY)
        # The hub's Jaro-Winkler, or the one Splink's Spark backend registers from its jar.
        assert "saferhub_jaro_winkler(" in spark_sql
        with_jar = str(spark_settings(settings, SPLINK_JARO_WINKLER)).lower()
        assert "jaro_winkler(" in with_jar
        assert "saferhub_jaro_winkler" not in with_jar
        if kind == EntityKind.PERSON:
            for name in ("arrays_overlap(", "size(array_intersect(", "locate("):
                assert name in spark_sql, name


def test_splinks_jar_scores_a_transposition_otherwise(spark):
    """Why the hub's Jaro-Winkler is registered on Spark: the jar's counts half a transposition
    where DuckDB's (and rapidfuzz's) rounds it down, and a mistyped family name falls below
    the 0.92 of "Family names nearly the same"."""
    SparkAPI(spark_session=spark)  # registers the jar's functions
    register_jaro_winkler(spark)
    row = spark.sql(
        f"SELECT {SPLINK_JARO_WINKLER}('margaret', 'magaret') AS jar, "
        f"{SAFERHUB_JARO_WINKLER}('margaret', 'magaret') AS hub"
    ).first()
    sql = "SELECT jaro_winkler_similarity('margaret', 'magaret')"
    duckdb_score = duckdb.connect().execute(sql).fetchone()[0]
    assert row.hub == duckdb_score
    assert row.jar < 0.92 <= duckdb_score


def test_the_same_model_gives_the_same_pairs_on_spark(people, fife, spark, tmp_path):
    _tricky_records(fife)
    _more_records(fife)
    model = linkage_model_train(partnership=fife, kind=EntityKind.PERSON)
    records = tmp_path / "records.parquet"
    pq.write_table(partnership_table(partnership=fife, kind=EntityKind.PERSON), records)

    # Every pair the blocking rules bring, not only those above a threshold: a level that
    # differed would show even where it did not move a pair across one.
    rows = partnership_rows(partnership=fife, kind=EntityKind.PERSON)
    linker, _database = splink_linker(
        rows_table(EntityKind.PERSON, rows), model.settings, model.trained_on["term_frequencies"]
    )
    # As a bulk run predicts (saferhub.linkage.linking._predict), at no threshold.
    predictions = linker.inference.predict(threshold_match_probability=None, warning_mode="never")
    duckdb_pairs = predictions.as_record_list()
    on_spark = predict_on_spark(spark, model, records, None)
    spark_pairs = [row.asDict() for row in on_spark.collect()]

    ours = {(p["unique_id_l"], p["unique_id_r"]): p for p in duckdb_pairs}
    theirs = {(p["unique_id_l"], p["unique_id_r"]): p for p in spark_pairs}
    assert len(ours) > 100
    assert set(theirs) == set(ours)
    names = [comparison.name for comparison in COMPARISONS[EntityKind.PERSON]]
    for key, pair in ours.items():
        other = theirs[key]
        for name in names:
            # Each comparison's weight, and so its level; and its term-frequency adjustment.
            for column in (f"mw_{name}", f"mw_tf_adj_{name}"):
                if column in pair:
                    assert math.isclose(other[column], pair[column], abs_tol=TOLERANCE), (
                        key,
                        column,
                    )
        assert math.isclose(other["match_weight"], pair["match_weight"], abs_tol=TOLERANCE), key
        assert math.isclose(
            other["match_probability"], pair["match_probability"], abs_tol=TOLERANCE
        ), key
    # The pairs reached the levels written with the functions Spark names otherwise
    # (the levels as the hub's Python scorer reads them, held equal to Splink's elsewhere).
    by_id = {row["unique_id"]: row for row in rows}
    scores = scores_of_pairs(model, [by_id[a] for a, _ in ours], [by_id[b] for _, b in ours])
    reached = {e.level for score in scores for e in score.evidence}
    for level in (
        "Given names nearly the same",
        "Given names alike",
        "Family names nearly the same",
        "Family name among the other's other names",
        "Most words of the address the same",
        "Lived at the same postcode",
    ):
        assert level in reached, level
