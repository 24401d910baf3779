"""Exact + MinHash deduplication of a document DataFrame, incremental, all on Spark.

``deduplicate(docs, config, run_id, prior)`` returns lazy DataFrames for the deduplicated
documents, the ``rejects`` rows, the ``duplicate_clusters`` table and the signature rows to
store, plus counts and a report. The steps:

1. hash: every document without a stored signature (same ``doc_id`` and text) gets its exact
   hash, MinHash signature and band keys (``signing``); stored ones are reused;
2. exact: documents with the same normalised text (within a scope) are linked to one
   representative; only representatives go through LSH;
3. fuzzy: buckets by band key give candidate pairs that touch at least one new document;
   verification keeps pairs whose exact Jaccard similarity reaches the threshold;
4. components: exact links, verified pairs and the members of stored clusters form a graph
   whose connected components (``components``) are the clusters;
5. audit: survivor, reasons and similarity to the survivor per member (``clusters``).

A full run is the same computation with no prior state, which is why an incremental run on a
new batch gives the same clusters as a full run on the union.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.dedup import candidates, clusters
from data_pipeline.dedup.components import Checkpoint, connected_components, local_checkpoint
from data_pipeline.dedup.config import DedupConfig
from data_pipeline.dedup.report import markdown_report
from data_pipeline.dedup.signing import HASHED, sign, text_fingerprint

KEY = ["doc_id", "text_fp"]


@dataclass
class Prior:
    """State of earlier runs: stored signatures (same ``signature_key``) and clusters (same
    ``cluster_key``, written by the run that wrote the signatures). Either may be absent."""

    signatures: DataFrame | None = None
    clusters: DataFrame | None = None
    note: str = "no prior state"


@dataclass
class DedupResult:
    """Lazy outputs of one deduplication, its counts and report."""

    kept: DataFrame
    rejects: DataFrame
    clusters: DataFrame
    signatures: DataFrame
    signatures_mode: Literal["overwrite", "append"]
    counts: dict[str, int]
    report: dict[str, Any]
    persisted: list[DataFrame] = field(default_factory=list)


class _Clock:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    def time(self, name: str, action: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = action()
        self.phases[name] = round(self.phases.get(name, 0.0) + time.perf_counter() - start, 3)
        return value


def _persist(df: DataFrame, keep: list[DataFrame]) -> DataFrame:
    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    keep.append(df)
    return df


def _scope(config: DedupConfig):
    return F.col("source") if config.scope == "source" else F.lit("*")


def deduplicate(
    docs: DataFrame,
    config: DedupConfig,
    run_id: str,
    prior: Prior | None = None,
    stage: str = "dedup",
    checkpoint: Checkpoint = local_checkpoint,
) -> DedupResult:
    """Deduplicate ``docs`` (columns of ``schemas.DOCUMENTS`` plus any others)."""
    prior = prior or Prior()
    clock = _Clock()
    keep: list[DataFrame] = []
    order, rule_used = clusters.survivor_order(config.survivor, docs.columns)
    rule_cols = [k.column for k in config.survivor if k.column in docs.columns]
    rule_cols = [c for c in dict.fromkeys(rule_cols) if c not in ("doc_id", "source")]
    base = docs.select("doc_id", "source", "text", "url_or_path", *rule_cols).withColumns(
        {"nid": F.xxhash64("doc_id"), "text_fp": text_fingerprint()}
    )

    # 1. hash
    removed = 0
    if prior.signatures is not None:
        stored = prior.signatures.select(*HASHED.fieldNames())
        current = base.select(*KEY)
        reused = stored.join(current, KEY, "left_semi")
        todo = base.join(stored.select(*KEY), KEY, "left_anti")
        removed = clock.time("hash", lambda: stored.join(current, KEY, "left_anti").count())
    else:
        reused, todo = None, base
    new = _persist(sign(todo, config), keep)
    reuse_clusters = prior.clusters is not None and removed == 0
    hashed_all = new.withColumns({"is_new": F.lit(True), "computed": F.lit(True)})
    if reused is not None:
        hashed_all = hashed_all.unionByName(
            reused.withColumns({"is_new": F.lit(not reuse_clusters), "computed": F.lit(False)})
        )
    hashed = _persist(
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
    total = sum(per_source.values())
    computed = sum(r["n"] for r in tally if r["computed"])

    # 2. exact
    spark = docs.sparkSession
    empty_edges = spark.createDataFrame([], "src long, dst long")
    reps, exact_edges = hashed, empty_edges
    # with stored clusters, only edges touching a new document can change anything
    nothing_new = reuse_clusters and computed == 0
    if config.exact and not nothing_new:
        groups = (
            hashed.groupBy("scope", "text_hash")
            .agg(F.min("nid").alias("rep"), F.count(F.lit(1)).alias("size"))
            .filter(F.col("size") > 1)
            .select("scope", "text_hash", "rep")
        )
        tagged = hashed.join(groups, ["scope", "text_hash"], "left")
        exact_edges = tagged.filter(F.col("rep").isNotNull() & (F.col("nid") != F.col("rep")))
        exact_edges = exact_edges.select(F.col("nid").alias("src"), F.col("rep").alias("dst"))
        reps = tagged.filter(F.col("rep").isNull() | (F.col("nid") == F.col("rep")))

    # 3. fuzzy
    band = config.banding()
    n_pairs = n_verified = n_oversized = 0
    near_edges = empty_edges
    texts = base.select("nid", "text")
    if config.fuzzy and not nothing_new:
        members = reps.filter(F.col("n_shingles") > 0).select(
            "scope", F.posexplode("bands").alias("band", "key"), "nid", "is_new"
        )
        if reuse_clusters:  # keep the buckets of new documents only
            new_keys = members.filter("is_new").select("scope", "band", "key").distinct()
            members = members.join(new_keys, ["scope", "band", "key"], "left_semi")
        buckets = _persist(candidates.buckets(members), keep)
        pairs = candidates.candidate_pairs(buckets, config.max_bucket_size)
        if config.verify:
            pairs = candidates.with_similarity(pairs, texts, config.shingles, config.normalize)
            passed = F.col("similarity") >= config.threshold
        else:
            passed = F.lit(True)
        pairs = _persist(pairs.withColumn("passed", passed), keep)
        tally = clock.time(
            "buckets + verify",
            lambda: pairs.agg(
                F.count(F.lit(1)).alias("n"), F.sum(F.col("passed").cast("long")).alias("ok")
            ).first(),
        )
        n_pairs, n_verified = tally["n"], tally["ok"] or 0
        n_oversized = clock.time(
            "buckets + verify", buckets.filter(F.size("m") > config.max_bucket_size).count
        )
        near_edges = pairs.filter("passed").select(F.col("a").alias("src"), F.col("b").alias("dst"))

    # 4. components
    edges = exact_edges.unionByName(near_edges)
    if reuse_clusters and prior.clusters is not None:
        old = clusters.prior_members(prior.clusters)
        edges = edges.unionByName(
            old.select(F.xxhash64("doc_id").alias("src"), F.xxhash64("cluster_id").alias("dst"))
        )
    labels, rounds = clock.time(
        "components",
        lambda: connected_components(
            edges, max_iterations=config.max_cc_rounds, checkpoint=checkpoint
        ),
    )

    # 5. audit
    info = hashed.select("nid", "doc_id", "source", "scope", "text_hash")
    nodes = labels.join(info, labels["node"] == info["nid"]).drop("node")
    nodes = nodes.join(base.select("nid", *rule_cols), "nid")
    members = _with_similarity(
        clusters.assign(nodes, order), texts, config, prior if reuse_clusters else None, keep
    )
    drops = members.filter(F.col("reason") != clusters.KEPT)
    by_reason = clock.time(
        "survivors", lambda: members.groupBy("source", "reason").count().collect()
    )
    n_members = sum(r["count"] for r in by_reason)
    n_clusters = sum(r["count"] for r in by_reason if r["reason"] == clusters.KEPT)
    by_reason = [r for r in by_reason if r["reason"] != clusters.KEPT]

    counts = _counts(per_source, by_reason)
    counts.update(
        {
            "dedup.signatures_computed": computed,
            "dedup.signatures_reused": total - computed,
            "dedup.candidate_pairs": n_pairs,
            "dedup.verified_pairs": n_verified,
            "dedup.oversized_buckets": n_oversized,
            "dedup.clustered_docs": n_members,
            "dedup.clusters": n_clusters,
            "dedup.cc_rounds": rounds,
        }
    )
    stored_rows = new if reused is None else new.unionByName(reused)
    append = prior.signatures is not None and removed == 0
    signature_rows = (new if append else stored_rows).withColumns(
        {"signature_key": F.lit(config.signature_key()), "run_id": F.lit(run_id)}
    )
    report = {
        "banding": band.as_dict(),
        "num_perm": config.num_perm,
        "shingles": config.shingles.model_dump(),
        "scope": config.scope,
        "verify": config.verify,
        "survivor_rule": rule_used,
        "prior_state": prior.note,
        "prior_clusters_reused": reuse_clusters,
        "removed_since_prior": removed,
        "phase_seconds": clock.phases,
    }
    report["markdown"] = markdown_report(counts, report)
    kept = docs.join(drops.select("doc_id"), "doc_id", "left_anti").select(*docs.columns)
    return DedupResult(
        kept=kept,
        rejects=clusters.reject_rows(members, base, stage, run_id),
        clusters=clusters.cluster_rows(members, config.cluster_key(), run_id),
        signatures=signature_rows,
        signatures_mode="append" if append else "overwrite",
        counts=counts,
        report=report,
        persisted=keep,
    )


def _with_similarity(
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
    return _persist(out, keep)


def _counts(per_source: dict[str, int], by_reason: list) -> dict[str, int]:
    """Funnel counts (docs/conventions.md): input = kept + rejected, per reason and source."""
    counts: dict[str, int] = {}
    rejected_by_source: dict[str, int] = {}
    for row in by_reason:
        source, reason, n = row["source"], row["reason"], row["count"]
        key = f"rejected.{clusters.FILTER_OF[reason]}.{reason}"
        counts[key] = counts.get(key, 0) + n
        rejected_by_source[source] = rejected_by_source.get(source, 0) + n
    for key in (f"rejected.{f}.{r}" for r, f in clusters.FILTER_OF.items()):
        counts.setdefault(key, 0)
    for source, n in sorted(per_source.items()):
        rejected = rejected_by_source.get(source, 0)
        counts[f"source.{source}.input"] = n
        counts[f"source.{source}.kept"] = n - rejected
        counts[f"source.{source}.rejected"] = rejected
    counts["input"] = sum(per_source.values())
    counts["rejected"] = sum(rejected_by_source.values())
    counts["kept"] = counts["input"] - counts["rejected"]
    return counts
