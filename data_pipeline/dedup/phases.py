"""The five phases of ``engine.deduplicate`` (see its module docstring): ``hash``, ``exact``,
``fuzzy``, ``components``, ``audit``; each a function over DataFrames. Intermediate DataFrames
they persist are appended to ``keep`` (unpersisted by the runner after the commit); Spark
actions are timed per phase in ``Clock.phases`` (seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.dedup import candidates, clusters
from data_pipeline.dedup.components import Checkpoint, connected_components
from data_pipeline.dedup.config import DedupConfig
from data_pipeline.dedup.signing import HASHED, sign

KEY = ["doc_id", "text_fp"]


@dataclass
class Prior:
    """State of earlier runs: stored signatures (same ``signature_key``) and clusters (same
    ``cluster_key``, written by the run that wrote the signatures). Either may be absent."""

    signatures: DataFrame | None = None
    clusters: DataFrame | None = None
    note: str = "no prior state"


class Clock:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    def time(self, name: str, action: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = action()
        self.phases[name] = round(self.phases.get(name, 0.0) + time.perf_counter() - start, 3)
        return value


def persist(df: DataFrame, keep: list[DataFrame]) -> DataFrame:
    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    keep.append(df)
    return df


def _scope(config: DedupConfig):
    return F.col("source") if config.scope == "source" else F.lit("*")


@dataclass
class Hashed:
    """Phase 1's result: signatures of every document and what was reused."""

    base: DataFrame  # the input columns dedup needs, with ``nid`` and ``text_fp``
    new: DataFrame  # signatures computed by this run
    reused: DataFrame | None  # stored signatures still valid (None without a prior)
    hashed: DataFrame  # one row per document: nid, scope, text_hash, bands, is_new, computed
    removed: int  # stored signatures whose documents are gone
    reuse_clusters: bool  # the prior clusters are still valid (nothing removed)
    per_source: dict[str, int]
    computed: int


def hash_phase(
    base: DataFrame, config: DedupConfig, prior: Prior, clock: Clock, keep: list[DataFrame]
) -> Hashed:
    """Phase 1: MinHash signatures of new documents; stored ones of unchanged documents."""
    removed = 0
    if prior.signatures is not None:
        stored = prior.signatures.select(*HASHED.fieldNames())
        current = base.select(*KEY)
        reused = stored.join(current, KEY, "left_semi")
        todo = base.join(stored.select(*KEY), KEY, "left_anti")
        removed = clock.time("hash", lambda: stored.join(current, KEY, "left_anti").count())
    else:
        reused, todo = None, base
    new = persist(sign(todo, config), keep)
    reuse_clusters = prior.clusters is not None and removed == 0
    hashed_all = new.withColumns({"is_new": F.lit(True), "computed": F.lit(True)})
    if reused is not None:
        hashed_all = hashed_all.unionByName(
            reused.withColumns({"is_new": F.lit(not reuse_clusters), "computed": F.lit(False)})
        )
    hashed = persist(
        hashed_all.select(
            F.xxhash64("doc_id").alias("nid"),
            "doc_id",
            "source",
            _scope(config).alias("scope"),
            "text_hash",
            "n_shingles",
            "bands",
            "is_new",
            "computed",
        ),
        keep,
    )
    tally = clock.time(
        "hash",
        lambda: (
            hashed.groupBy("source", "computed")
            .agg(F.count(F.lit(1)).alias("n"), F.countDistinct("nid").alias("ids"))
            .collect()
        ),
    )
    if any(r["n"] != r["ids"] for r in tally):
        raise ValueError(
            "some documents share a doc_id (or a 64-bit hash of one): "
            "doc_id must be unique in the input table"
        )
    per_source: dict[str, int] = {}
    for r in tally:
        per_source[r["source"]] = per_source.get(r["source"], 0) + r["n"]
    computed = sum(r["n"] for r in tally if r["computed"])
    return Hashed(base, new, reused, hashed, removed, reuse_clusters, per_source, computed)


def exact_phase(hashed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Phase 2: (one representative per exact-text group, edges member -> representative)."""
    groups = (
        hashed.groupBy("scope", "text_hash")
        .agg(F.min("nid").alias("rep"), F.count(F.lit(1)).alias("size"))
        .filter(F.col("size") > 1)
        .select("scope", "text_hash", "rep")
    )
    tagged = hashed.join(groups, ["scope", "text_hash"], "left")
    edges = tagged.filter(F.col("rep").isNotNull() & (F.col("nid") != F.col("rep")))
    edges = edges.select(F.col("nid").alias("src"), F.col("rep").alias("dst"))
    reps = tagged.filter(F.col("rep").isNull() | (F.col("nid") == F.col("rep")))
    return reps, edges


@dataclass
class Fuzzy:
    """Phase 3's result: verified near-duplicate edges and their tallies."""

    edges: DataFrame
    pairs: int = 0
    verified: int = 0
    oversized: int = 0


def fuzzy_phase(
    reps: DataFrame,
    texts: DataFrame,
    config: DedupConfig,
    new_only: bool,
    clock: Clock,
    keep: list[DataFrame],
) -> Fuzzy:
    """Phase 3: LSH buckets -> candidate pairs -> (optionally) exact Jaccard verification.
    ``new_only`` keeps the buckets that hold a new document (stored clusters cover the rest)."""
    members = reps.filter(F.col("n_shingles") > 0).select(
        "scope", F.posexplode("bands").alias("band", "key"), "nid", "is_new"
    )
    if new_only:
        new_keys = members.filter("is_new").select("scope", "band", "key").distinct()
        members = members.join(new_keys, ["scope", "band", "key"], "left_semi")
    buckets = persist(candidates.buckets(members), keep)
    pairs = candidates.candidate_pairs(buckets, config.max_bucket_size)
    if config.verify:
        pairs = candidates.with_similarity(pairs, texts, config.shingles, config.normalize)
        passed = F.col("similarity") >= config.threshold
    else:
        passed = F.lit(True)
    pairs = persist(pairs.withColumn("passed", passed), keep)
    tally = clock.time(
        "buckets + verify",
        lambda: pairs.agg(
            F.count(F.lit(1)).alias("n"), F.sum(F.col("passed").cast("long")).alias("ok")
        ).first(),
    )
    oversized = clock.time(
        "buckets + verify", buckets.filter(F.size("m") > config.max_bucket_size).count
    )
    edges = pairs.filter("passed").select(F.col("a").alias("src"), F.col("b").alias("dst"))
    return Fuzzy(edges, tally["n"], tally["ok"] or 0, oversized)


def components_phase(
    edges: DataFrame,
    prior_clusters: DataFrame | None,
    config: DedupConfig,
    checkpoint: Checkpoint,
    clock: Clock,
) -> tuple[DataFrame, int]:
    """Phase 4: connected components over the edges (plus the stored clusters' edges)."""
    if prior_clusters is not None:
        old = clusters.prior_members(prior_clusters)
        edges = edges.unionByName(
            old.select(F.xxhash64("doc_id").alias("src"), F.xxhash64("cluster_id").alias("dst"))
        )
    return clock.time(
        "components",
        lambda: connected_components(
            edges, max_iterations=config.max_cc_rounds, checkpoint=checkpoint
        ),
    )


def audit_phase(
    labels: DataFrame,
    h: Hashed,
    order: Any,
    rule_cols: list[str],
    config: DedupConfig,
    prior: Prior | None,
    clock: Clock,
    keep: list[DataFrame],
) -> tuple[DataFrame, list, int, int]:
    """Phase 5: survivors and reasons per cluster member, with similarities; (members, rejected
    per source and reason, clustered documents, clusters)."""
    info = h.hashed.select("nid", "doc_id", "source", "scope", "text_hash")
    nodes = labels.join(info, labels["node"] == info["nid"]).drop("node")
    nodes = nodes.join(h.base.select("nid", *rule_cols), "nid")
    texts = h.base.select("nid", "text")
    members = with_similarity(clusters.assign(nodes, order), texts, config, prior, keep)
    by_reason = clock.time(
        "survivors", lambda: members.groupBy("source", "reason").count().collect()
    )
    n_members = sum(r["count"] for r in by_reason)
    n_clusters = sum(r["count"] for r in by_reason if r["reason"] == clusters.KEPT)
    by_reason = [r for r in by_reason if r["reason"] != clusters.KEPT]
    return members, by_reason, n_members, n_clusters


def with_similarity(
    members: DataFrame, texts: DataFrame, config: DedupConfig, prior: Prior | None, keep: list
) -> DataFrame:
    """Add each member's exact Jaccard similarity to its survivor (1.0 for exact copies);
    values of unchanged (member, survivor) pairs are taken from the prior clusters."""
    near = members.filter(F.col("reason") == clusters.NEAR)
    known = None
    if prior is not None and prior.clusters is not None:
        old = clusters.prior_members(prior.clusters).select("doc_id", "survivor", "similarity")
        known = near.join(old, ["doc_id", "survivor"]).select("nid", "similarity")
        near = near.join(old, ["doc_id", "survivor"], "left_anti")
    pairs = near.select(F.col("nid").alias("a"), F.col("survivor_nid").alias("b"))
    sims = candidates.with_similarity(pairs, texts, config.shingles, config.normalize)
    sims = sims.select(F.col("a").alias("nid"), "similarity")
    if known is not None:
        sims = sims.unionByName(known)
    out = members.join(sims, "nid", "left").withColumn(
        "similarity",
        F.when(F.col("reason") == clusters.NEAR, F.col("similarity")).otherwise(F.lit(1.0)),
    )
    return persist(out, keep)
