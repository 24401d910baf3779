"""From component labels to the audit: cluster ids, survivors, reasons and similarities.

A cluster's id is its smallest ``doc_id``; its survivor is the first member under the survivor
rule. Every other member is dropped as ``exact_duplicate`` (same normalised text as the
survivor) or ``near_duplicate``, with its exact Jaccard similarity to the survivor.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)
from pyspark.sql.window import Window

from data_pipeline.dedup.config import SurvivorKey

CLUSTERS = "duplicate_clusters"
EXACT, NEAR, KEPT = "exact_duplicate", "near_duplicate", "survivor"
FILTER_OF = {EXACT: "exact_hash", NEAR: "minhash"}

MEMBER = StructType(
    [
        StructField("doc_id", StringType(), True),
        StructField("source", StringType(), True),
        StructField("similarity", DoubleType(), True),
        StructField("reason", StringType(), True),
    ]
)

CLUSTER_TABLE = StructType(
    [
        StructField("cluster_id", StringType(), False),
        StructField("scope", StringType(), False),
        StructField("survivor", StringType(), False),
        StructField("survivor_source", StringType(), False),
        StructField("size", IntegerType(), False),
        StructField("exact_members", IntegerType(), False),
        StructField("near_members", IntegerType(), False),
        StructField("min_similarity", DoubleType(), True),
        StructField("members", ArrayType(MEMBER, True), False),
        StructField("cluster_key", StringType(), False),
        StructField("run_id", StringType(), False),
    ]
)


def survivor_order(rule: list[SurvivorKey], columns: list[str]) -> tuple[list[Column], list[str]]:
    """Sort expressions of the rule's keys present in ``columns`` (``doc_id`` always last)."""
    used = [k for k in rule if k.column in columns and k.column != "doc_id"]
    order = [
        F.col(k.column).desc_nulls_last() if k.order == "desc" else F.col(k.column).asc_nulls_last()
        for k in used
    ]
    doc_key = next((k for k in rule if k.column == "doc_id"), SurvivorKey(column="doc_id"))
    order.append(F.col("doc_id").desc() if doc_key.order == "desc" else F.col("doc_id").asc())
    return order, [f"{k.column} {k.order}" for k in used] + [f"doc_id {doc_key.order}"]


def assign(members: DataFrame, order: list[Column]) -> DataFrame:
    """Members of every cluster with cluster id, survivor and reason.

    ``members``: one row per clustered document with ``root`` (its component label), ``nid,
    doc_id, source, scope, text_hash`` and the survivor-rule columns. Returns ``nid, doc_id,
    source, scope, cluster_id, survivor_nid, survivor, survivor_source, reason``.
    """
    by_cluster = Window.partitionBy("root")
    ranked = members.withColumn("rank", F.row_number().over(by_cluster.orderBy(*order)))
    first = ranked.filter(F.col("rank") == 1).select(
        "root",
        F.col("nid").alias("survivor_nid"),
        F.col("doc_id").alias("survivor"),
        F.col("source").alias("survivor_source"),
        F.col("text_hash").alias("survivor_hash"),
    )
    ids = members.groupBy("root").agg(F.min("doc_id").alias("cluster_id"))
    reason = (
        F.when(F.col("nid") == F.col("survivor_nid"), F.lit(KEPT))
        .when(F.col("text_hash") == F.col("survivor_hash"), F.lit(EXACT))
        .otherwise(F.lit(NEAR))
    )
    return (
        members.join(first, "root")
        .join(ids, "root")
        .select(
            "nid",
            "doc_id",
            "source",
            "scope",
            "cluster_id",
            "survivor_nid",
            "survivor",
            "survivor_source",
            reason.alias("reason"),
        )
    )


def cluster_rows(members: DataFrame, cluster_key: str, run_id: str) -> DataFrame:
    """One row per cluster (``CLUSTER_TABLE``) from members that carry ``similarity``."""
    member = F.struct(F.col("doc_id"), F.col("source"), F.col("similarity"), F.col("reason"))
    dropped_sim = F.when(F.col("reason") != KEPT, F.col("similarity"))
    return members.groupBy("cluster_id", "scope", "survivor", "survivor_source").agg(
        F.count(F.lit(1)).cast("int").alias("size"),
        F.sum((F.col("reason") == EXACT).cast("int")).cast("int").alias("exact_members"),
        F.sum((F.col("reason") == NEAR).cast("int")).cast("int").alias("near_members"),
        F.min(dropped_sim).alias("min_similarity"),
        F.sort_array(F.collect_list(member)).alias("members"),
        F.lit(cluster_key).alias("cluster_key"),
        F.lit(run_id).alias("run_id"),
    )


def prior_members(clusters: DataFrame) -> DataFrame:
    """Members of stored clusters: ``doc_id, cluster_id, survivor, similarity``."""
    return clusters.select("cluster_id", "survivor", F.explode("members").alias("m")).select(
        F.col("m.doc_id").alias("doc_id"),
        "cluster_id",
        "survivor",
        F.col("m.similarity").alias("similarity"),
    )


def reject_rows(members: DataFrame, docs: DataFrame, stage: str, run_id: str) -> DataFrame:
    """Rows of the shared ``rejects`` table for every dropped member."""
    dropped = members.filter(F.col("reason") != KEPT)
    texts = docs.select("doc_id", "text", "url_or_path")
    filter_name = F.when(F.col("reason") == EXACT, F.lit(FILTER_OF[EXACT])).otherwise(
        F.lit(FILTER_OF[NEAR])
    )
    return dropped.join(texts, "doc_id").select(
        "doc_id",
        "source",
        F.lit(stage).alias("stage"),
        filter_name.alias("filter"),
        "reason",
        F.col("similarity").alias("score"),
        "cluster_id",
        "text",
        "url_or_path",
        F.lit(run_id).alias("run_id"),
    )
