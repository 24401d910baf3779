"""Candidate pairs from LSH buckets, and their exact-Jaccard verification.

Buckets are a Spark ``groupBy`` on (scope, band, band key). A bucket of up to
``max_bucket_size`` members yields all its pairs; a larger one (templated text) yields a star
to its smallest member, so work stays linear. In incremental runs only pairs touching a new
document are produced: pairs of two old documents were settled by the run that saw them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StructField, StructType

from data_pipeline.dedup.normalize import NormalizeConfig
from data_pipeline.dedup.shingles import ShingleConfig, batch_shingle_hashes

PAIR_SCHEMA = StructType(
    [
        StructField("a", LongType(), False),
        StructField("b", LongType(), False),
        StructField("similarity", DoubleType(), False),
    ]
)


def buckets(members: DataFrame) -> DataFrame:
    """Buckets of two or more documents, at least one of them new: ``scope, band, key, m``.

    ``members`` has columns ``scope, band, key, nid, is_new`` (one row per document and band);
    ``m`` is the sorted array of (``nid``, ``is_new``) structs.
    """
    return (
        members.groupBy("scope", "band", "key")
        .agg(F.sort_array(F.collect_list(F.struct("nid", "is_new"))).alias("m"))
        .filter((F.size("m") > 1) & F.exists("m", lambda x: x["is_new"]))
    )


def candidate_pairs(buckets: DataFrame, max_bucket_size: int) -> DataFrame:
    """Distinct pairs ``a < b`` of documents sharing a bucket, touching a new document."""
    all_pairs = F.flatten(
        F.transform(
            "m",
            lambda x, i: F.transform(
                F.slice("m", i + 2, F.size("m") - i - 1),
                lambda y: F.struct(x.alias("x"), y.alias("y")),
            ),
        )
    )
    star = F.transform(
        F.slice("m", 2, F.size("m")), lambda y: F.struct(F.col("m")[0].alias("x"), y.alias("y"))
    )
    return (
        buckets.select(
            F.explode(F.when(F.size("m") <= max_bucket_size, all_pairs).otherwise(star)).alias("p")
        )
        .filter(F.col("p.x.is_new") | F.col("p.y.is_new"))
        .filter(F.col("p.x.nid") < F.col("p.y.nid"))
        .select(F.col("p.x.nid").alias("a"), F.col("p.y.nid").alias("b"))
        .distinct()
    )


def jaccard_batch(
    texts_a: pa.Array, texts_b: pa.Array, config: ShingleConfig, normalize: NormalizeConfig
) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of each pair (texts_a[i], texts_b[i])."""
    n = len(texts_a)
    if n == 0:
        return np.zeros(0)
    _, hashes, offsets = batch_shingle_hashes(
        pa.concat_arrays([texts_a, texts_b]), config, normalize
    )
    owner = np.repeat(np.arange(2 * n), np.diff(offsets))
    pair = (owner % n).astype(np.uint64)
    side = owner // n
    keys = (pair << np.uint64(32)) | hashes.astype(np.uint64)
    set_a = np.unique(keys[side == 0])
    set_b = np.unique(keys[side == 1])
    common = np.intersect1d(set_a, set_b, assume_unique=True)
    size_a = np.bincount((set_a >> np.uint64(32)).astype(np.int64), minlength=n)
    size_b = np.bincount((set_b >> np.uint64(32)).astype(np.int64), minlength=n)
    inter = np.bincount((common >> np.uint64(32)).astype(np.int64), minlength=n)
    union = size_a + size_b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return sim


def _jaccard_partition(config: ShingleConfig, normalize: NormalizeConfig):
    def run(batches):
        for batch in batches:
            sim = jaccard_batch(
                batch.column("text_a").cast(pa.large_string()),
                batch.column("text_b").cast(pa.large_string()),
                config,
                normalize,
            )
            yield pa.RecordBatch.from_arrays(
                [batch.column("a"), batch.column("b"), pa.array(sim, pa.float64())],
                names=["a", "b", "similarity"],
            )

    return run


def with_similarity(
    pairs: DataFrame, texts: DataFrame, config: ShingleConfig, normalize: NormalizeConfig
) -> DataFrame:
    """``pairs`` (``a, b``) with the exact Jaccard ``similarity`` of their shingle sets.

    ``texts`` has ``nid, text``; shingles are recomputed from the text (nothing is kept per
    document besides the signature).
    """
    side_a = texts.select(F.col("nid").alias("a"), F.col("text").alias("text_a"))
    side_b = texts.select(F.col("nid").alias("b"), F.col("text").alias("text_b"))
    joined = (
        pairs.select("a", "b")
        .join(side_a, "a")
        .join(side_b, "b")
        .select("a", "b", "text_a", "text_b")
    )
    return joined.mapInArrow(_jaccard_partition(config, normalize), PAIR_SCHEMA)
