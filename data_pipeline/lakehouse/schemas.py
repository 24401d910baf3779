"""Schemas of the tables that more than one part of ladder reads or writes: documents,
quarantine, rejects, runs, and the benchmark items that evaluation publishes for decontamination."""

from pyspark.sql.types import (
    ArrayType,
    DoubleType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

DOCUMENT_FIELDS = [
    StructField("doc_id", StringType(), False),
    StructField("text", StringType(), False),
    StructField("source", StringType(), False),
    StructField("licence", StringType(), False),
    StructField("url_or_path", StringType(), False),
    StructField("metadata", MapType(StringType(), StringType()), True),
    StructField("ingested_at", TimestampType(), False),
    StructField("run_id", StringType(), False),
]
DOCUMENTS = StructType(DOCUMENT_FIELDS)

QUARANTINE = StructType(
    [
        StructField("stage", StringType(), False),
        StructField("source", StringType(), False),
        StructField("file", StringType(), False),
        StructField("location", StringType(), False),
        StructField("reason", StringType(), False),
        StructField("error", StringType(), False),
        StructField("raw", StringType(), True),
        StructField("run_id", StringType(), False),
    ]
)

REJECTS = StructType(
    [
        StructField("doc_id", StringType(), False),
        StructField("source", StringType(), False),
        StructField("stage", StringType(), False),
        StructField("filter", StringType(), False),
        StructField("reason", StringType(), False),
        StructField("score", DoubleType(), True),
        StructField("cluster_id", StringType(), True),
        StructField("text", StringType(), True),
        StructField("url_or_path", StringType(), True),
        StructField("run_id", StringType(), False),
    ]
)

TABLE_REF = StructType([StructField("table", StringType()), StructField("version", LongType())])

RUNS = StructType(
    [
        StructField("run_id", StringType(), False),
        StructField("stage", StringType(), False),
        StructField("status", StringType(), False),
        StructField("flow_run_id", StringType(), True),
        StructField("config_json", StringType(), True),
        StructField("config_hash", StringType(), True),
        StructField("code_version", StringType(), True),
        StructField("cache_key", StringType(), True),
        StructField("inputs", ArrayType(TABLE_REF), True),
        StructField("outputs", ArrayType(TABLE_REF), True),
        StructField("counts", MapType(StringType(), LongType()), True),
        StructField("started_at", TimestampType(), True),
        StructField("ended_at", TimestampType(), True),
        StructField("duration_s", DoubleType(), True),
        StructField("error", StringType(), True),
        StructField("holder", StringType(), True),
        StructField("recorded_at", TimestampType(), True),
    ]
)

#: The gauntlet's evaluated items as text (prompt, delimiter, gold answer), written by
#: evaluation (``evaluation.items.publish_items``) and indexed by the decontaminate stage.
BENCHMARK_ITEMS_TABLE = "benchmark_items"
BENCHMARK_ITEMS = StructType(
    [
        StructField("task", StringType(), False),
        StructField("item_key", StringType(), False),
        StructField("text", StringType(), False),
        StructField("gauntlet", StringType(), False),
        StructField("run_id", StringType(), False),
    ]
)
