"""The same linkage model run on Spark, for a national deployment that outgrows one machine.

The hub links in bulk with Splink on DuckDB (saferhub.linkage.linking). A saved model is
Splink's own JSON (LinkageModel.settings) whose comparison levels and blocking rules are SQL
conditions written in DuckDB's dialect, so Splink's Spark backend can run the very same model,
m and u, prior and term frequencies unchanged, once those conditions are written in Spark SQL.
`spark_settings` does that rewriting (sqlglot's translation, with the functions it gets wrong
put right by hand), and `predict_on_spark` runs the prediction on a Spark session over the
prepared records (saferhub.linkage.preparation.partnership_table, exported as Parquet). The
pairs it gives equal DuckDB's (tests/linkage/test_spark.py), column for column; feeding them
into a bulk run's id-keeping step is not wired yet (link_bulk predicts with DuckDB itself).

One function is not the same on Spark: the Jaro-Winkler similarity of Splink's jar
(`jaro_winkler`) counts half a transposition where DuckDB, and the hub's Python scorer
(rapidfuzz), round the half down, so a mistyped name scores lower there ("margaret" and
"magaret": 0.9095 on the jar, 0.9286 in DuckDB) and may fall to a lower level. By default the
conditions therefore call `saferhub_jaro_winkler`, rapidfuzz's own similarity registered as a
Spark UDF (`register_jaro_winkler`): the same scores, at the cost of Python workers (rapidfuzz
installed on every executor). `jaro_winkler=SPLINK_JARO_WINKLER` runs Splink's jar instead,
faster and JVM-only, accepting that difference.

pyspark is imported only inside the functions: the hub itself never needs it. Nor does this
module import Django: a Spark driver runs it with the model's two dicts (`settings`,
`trained_on`) and no database.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from saferhub.linkage.models import LinkageModel

# The prepared columns that are lists (pyarrow list<string>, Spark array<string>): DuckDB's
# `len` of one is its number of items, Spark's `length` is only for strings (`size` there).
# Written out rather than read from saferhub.linkage.preparation, which needs Django set up:
# a Spark driver needs only this module (tests/linkage/test_spark.py holds the two equal).
LIST_COLUMNS = frozenset({"postcodes", "address_tokens"})

# The Jaro-Winkler similarity as Splink's Spark backend registers it from its jar
# (splink.internals.spark.jar_location.get_scala_udfs, SparkDialect.jaro_winkler_function_name).
SPLINK_JARO_WINKLER = "jaro_winkler"
# rapidfuzz's, as DuckDB and the hub compute it, registered by register_jaro_winkler.
SAFERHUB_JARO_WINKLER = "saferhub_jaro_winkler"


def register_jaro_winkler(spark: SparkSession) -> None:
    """Register `saferhub_jaro_winkler` on the session: rapidfuzz's Jaro-Winkler similarity
    (the hub's and DuckDB's) as a Spark SQL function, NULL when either side is. It is sent to
    Spark's Python workers by value and needs only rapidfuzz there, not the hub."""
    from pyspark.sql.types import DoubleType

    def similarity(left: str | None, right: str | None) -> float | None:
        from rapidfuzz.distance import JaroWinkler

        if left is None or right is None:
            return None
        return JaroWinkler.similarity(left, right)

    spark.udf.register(SAFERHUB_JARO_WINKLER, similarity, DoubleType())


def _is_list(node: exp.Expression) -> bool:
    """Whether a DuckDB expression is a list: a list column (with its _l/_r suffix, or
    qualified l./r. in a blocking rule) or a list function's result."""
    if isinstance(node, exp.Column):
        name = node.name
        base = name[:-2] if name.endswith(("_l", "_r")) else name
        return base in LIST_COLUMNS or name in LIST_COLUMNS
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in {"list_intersect", "array_intersect"}
    return isinstance(node, exp.ArrayIntersect | exp.Array)


def _spark_function(node: exp.Expression, jaro_winkler: str) -> exp.Expression:
    """One node of a DuckDB expression as Spark SQL has it, where sqlglot's own translation
    is wrong: it keeps `list_intersect`, writes `list_has_any` as the operator `&&` and
    `jaro_winkler_similarity` as `jarowinkler_similarity` (neither in Spark), and a list's
    `len` as `length` (strings only in Spark)."""
    if isinstance(node, exp.JarowinklerSimilarity):
        return exp.Anonymous(this=jaro_winkler, expressions=[node.this, node.expression])
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    if isinstance(node, exp.Anonymous) and node.name.lower() == "list_intersect":
        return exp.Anonymous(this="array_intersect", expressions=list(node.expressions))
    if isinstance(node, exp.Length) and _is_list(node.this):
        return exp.Anonymous(this="size", expressions=[node.this])
    return node


def spark_sql(condition: str, jaro_winkler: str = SAFERHUB_JARO_WINKLER) -> str:
    """A SQL condition (a comparison level's or a blocking rule's) in DuckDB's dialect,
    rewritten in Spark SQL, with `jaro_winkler` the name of the Jaro-Winkler function. "ELSE"
    stays as it is.

    `strpos(a, b)` becomes `LOCATE(b, a)`, quoted identifiers take backticks, and `greatest`
    skips NULLs in both. A list's `size` of NULL is -1 in Spark's legacy mode (NULL in ANSI
    mode, as in DuckDB); the one condition that takes it ("Most words of the address the
    same") is false either way."""
    if condition.strip().upper() == "ELSE":
        return condition
    tree = sqlglot.parse_one(condition, read="duckdb")
    # Bottom up, so that `len(list_intersect(...))` sees its argument already rewritten.
    for node in list(tree.walk(bfs=False))[::-1]:
        replacement = _spark_function(node, jaro_winkler)
        if replacement is not node:
            if node is tree:
                tree = replacement
            else:
                node.replace(replacement)
    return tree.sql(dialect="spark")


def spark_settings(
    settings: dict[str, Any], jaro_winkler: str = SAFERHUB_JARO_WINKLER
) -> dict[str, Any]:
    """A copy of a saved model's Splink settings (LinkageModel.settings) for Splink's Spark
    backend: every comparison level's `sql_condition` and every blocking rule written in Spark
    SQL, and the dialect set to Spark. The parameters (m, u, the prior, term-frequency
    columns) are the model's, untouched. `jaro_winkler` names the Jaro-Winkler function the
    conditions call: the hub's (register it with `register_jaro_winkler`) or Splink's jar's
    (SPLINK_JARO_WINKLER; see the module's docstring for how it differs)."""
    spark = copy.deepcopy(settings)
    spark["sql_dialect"] = "spark"
    for comparison in spark.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = spark_sql(level["sql_condition"], jaro_winkler)
            level.pop("sql_dialect", None)
    rules = []
    for rule in spark.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, str):
            rules.append(spark_sql(rule, jaro_winkler))
            continue
        rule = dict(rule)
        rule["blocking_rule"] = spark_sql(rule["blocking_rule"], jaro_winkler)
        rule["sql_dialect"] = "spark"
        rules.append(rule)
    spark["blocking_rules_to_generate_predictions"] = rules
    return spark


def splink_jar() -> str:
    """The path of Splink's jar of Spark SQL functions (Jaro-Winkler among them) for the
    installed Spark: give it to the session as `spark.jars` before it starts."""
    from splink.backends.spark import similarity_jar_location

    return similarity_jar_location()


def _term_frequency_frame(spark: SparkSession, column: str, shares: dict[str, float]):
    """A model's term frequencies of one column as a Spark DataFrame, in Splink's layout
    (the value, and `tf_<column>` its share)."""
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    schema = StructType(
        [StructField(column, StringType(), False), StructField(f"tf_{column}", DoubleType(), False)]
    )
    return spark.createDataFrame(list(shares.items()), schema=schema)


def spark_linker(
    spark: SparkSession,
    model: LinkageModel,
    records: str | Path | DataFrame,
    *,
    jaro_winkler: str = SAFERHUB_JARO_WINKLER,
    break_lineage_method: str = "parquet",
):
    """A Splink linker on Spark running `model` over `records` (a path to the prepared records
    as Parquet, or a Spark DataFrame of them), with the model's term frequencies registered so
    that a pair scores as it does in the hub; and its database API.

    `jaro_winkler` is the Jaro-Winkler function the conditions call: the hub's (registered
    here) or SPLINK_JARO_WINKLER, the jar's (the session needs `spark.jars` = `splink_jar()`
    either way: Splink registers the jar's functions). `break_lineage_method` is how Splink
    cuts Spark's plans between steps: "parquet" (Splink's default outside Databricks; the
    session needs a checkpoint directory, `spark.sparkContext.setCheckpointDir`), "persist"
    (memory) or "checkpoint"."""
    from splink import Linker, SparkAPI

    frame = spark.read.parquet(str(records)) if isinstance(records, str | Path) else records
    db_api = SparkAPI(spark_session=spark, break_lineage_method=break_lineage_method)
    if jaro_winkler == SAFERHUB_JARO_WINKLER:
        register_jaro_winkler(spark)
    registered = db_api.register(frame, dataset_display_name="records")
    settings = spark_settings(model.settings, jaro_winkler)
    linker = Linker(registered, settings, log_level=logging.ERROR)
    for column, shares in (model.trained_on.get("term_frequencies") or {}).items():
        lookup = db_api.register(
            _term_frequency_frame(spark, column, shares), table_name=f"saferhub_tf_{column}"
        )
        linker.table_management.register_term_frequency_lookup(lookup, column)
    return linker, db_api


def predict_on_spark(
    spark: SparkSession,
    model: LinkageModel,
    records: str | Path | DataFrame,
    threshold: float | None,
    *,
    jaro_winkler: str = SAFERHUB_JARO_WINKLER,
    break_lineage_method: str = "parquet",
) -> DataFrame:
    """The pairs of `records` scoring at least `threshold` (a match probability; None for every
    pair the blocking rules bring) under `model`, predicted by Splink on Spark: a Spark
    DataFrame with the columns a bulk run reads (unique_id_l, unique_id_r, match_weight,
    match_probability, each comparison's mw_ weight and mw_tf_adj_ adjustment). `jaro_winkler`
    and `break_lineage_method` as for `spark_linker`."""
    linker, _db_api = spark_linker(
        spark,
        model,
        records,
        jaro_winkler=jaro_winkler,
        break_lineage_method=break_lineage_method,
    )
    predictions = linker.inference.predict(
        threshold_match_probability=threshold, warning_mode="never"
    )
    return predictions.as_spark_dataframe()
