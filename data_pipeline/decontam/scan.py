"""Decontamination on Spark: the index as a broadcast, documents scanned with ``mapInArrow``.

``read_items`` collects the pinned ``benchmark_items`` version (published by evaluation),
``scan_docs`` annotates a document DataFrame (``match.scan_table`` per batch) and ``hit_rows``
joins each hit to the index rows it matched (task, item, n-gram text): one row per
(document, hit, item).
"""

from __future__ import annotations

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from data_pipeline.decontam.config import DecontamConfig
from data_pipeline.decontam.index import BuiltIndex, IndexItem, NgramIndex
from data_pipeline.decontam.match import annotated_schema, scanner


def read_items(items: DataFrame) -> list[IndexItem]:
    """The rows of a ``benchmark_items`` version, in task and key order."""
    rows = items.select("task", "item_key", "text").orderBy("task", "item_key").collect()
    return [IndexItem(r["task"], r["item_key"], r["text"]) for r in rows]


def index_frame(spark: SparkSession, built: BuiltIndex) -> DataFrame:
    """The index rows as a DataFrame, with the index digest."""
    rows = built.rows.append_column("index_digest", pa.array([built.digest] * built.rows.num_rows))
    return spark.createDataFrame(rows)


def scan_docs(docs: DataFrame, built: BuiltIndex, config: DecontamConfig) -> DataFrame:
    """``docs`` with the columns of ``match.EXTRA`` (text cut or kept as configured)."""
    index = NgramIndex.from_rows(built.rows)
    ref = docs.sparkSession.sparkContext.broadcast(index)
    return docs.mapInArrow(scanner(ref, config), annotated_schema(docs.schema))


def hit_rows(annotated: DataFrame, index: DataFrame, run_id: str) -> DataFrame:
    """One row per (document, hit, matched index row)."""
    hits = annotated.filter(F.col("hits").isNotNull()).select(
        "doc_id", "source", F.col("decontam_action").alias("action"), F.explode("hits").alias("h")
    )
    hits = hits.select("doc_id", "source", "action", "h.*")
    return hits.join(
        index.select("hash", "check", "task", "item_key", "ngram"), ["hash", "check"]
    ).select(
        "doc_id",
        "source",
        "task",
        "item_key",
        "ngram",
        "n_words",
        "token_pos",
        "char_start",
        "char_end",
        "action",
        F.lit(run_id).alias("run_id"),
    )


def found_per_task(hits: DataFrame) -> dict[str, dict[str, int]]:
    """Items found, documents affected and hits, per task."""
    rows = (
        hits.groupBy("task")
        .agg(
            F.countDistinct("item_key").alias("items"),
            F.countDistinct("doc_id").alias("docs"),
            F.count(F.lit(1)).alias("hits"),
        )
        .collect()
    )
    return {r["task"]: {"items": r["items"], "docs": r["docs"], "hits": r["hits"]} for r in rows}


def contaminated_items(
    docs: DataFrame, built: BuiltIndex, config: DecontamConfig | None = None
) -> dict[str, set[str]]:
    """Item keys of each task that occur in ``docs`` (nothing is cut or written)."""
    config = config or DecontamConfig(action="drop")
    spark = docs.sparkSession
    annotated = scan_docs(docs.select("doc_id", "source", "text"), built, config)
    hits = hit_rows(annotated, index_frame(spark, built), "-")
    out: dict[str, set[str]] = {}
    for r in hits.select("task", "item_key").distinct().collect():
        out.setdefault(r["task"], set()).add(r["item_key"])
    return out
