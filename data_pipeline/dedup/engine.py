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

from dataclasses import dataclass, field
from typing import Any, Literal

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.dedup import clusters
from data_pipeline.dedup.components import Checkpoint, local_checkpoint
from data_pipeline.dedup.config import DedupConfig
from data_pipeline.dedup.phases import (
    Clock,
    Fuzzy,
    Prior,
    audit_phase,
    components_phase,
    exact_phase,
    fuzzy_phase,
    hash_phase,
)
from data_pipeline.dedup.report import markdown_report
from data_pipeline.dedup.signing import text_fingerprint
from data_pipeline.funnel import Funnel

__all__ = ["DedupResult", "Prior", "deduplicate"]


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
    funnel: Funnel
    persisted: list[DataFrame] = field(default_factory=list)


def deduplicate(
    docs: DataFrame,
    config: DedupConfig,
    run_id: str,
    prior: Prior | None = None,
    stage: str = "dedup",
    checkpoint: Checkpoint = local_checkpoint,
) -> DedupResult:
    """Deduplicate ``docs`` (columns of ``schemas.DOCUMENTS`` plus any others) in five phases:
    hash, exact, fuzzy, components, audit."""
    prior = prior or Prior()
    clock = Clock()
    keep: list[DataFrame] = []
    order, rule_used = clusters.survivor_order(config.survivor, docs.columns)
    rule_cols = [k.column for k in config.survivor if k.column in docs.columns]
    rule_cols = [c for c in dict.fromkeys(rule_cols) if c not in ("doc_id", "source")]
    base = docs.select("doc_id", "source", "text", "url_or_path", *rule_cols).withColumns(
        {"nid": F.xxhash64("doc_id"), "text_fp": text_fingerprint()}
    )
    h = hash_phase(base, config, prior, clock, keep)
    empty_edges = docs.sparkSession.createDataFrame([], "src long, dst long")
    # with stored clusters, only edges touching a new document can change anything
    nothing_new = h.reuse_clusters and h.computed == 0
    reps, exact_edges = h.hashed, empty_edges
    if config.exact and not nothing_new:
        reps, exact_edges = exact_phase(h.hashed)
    fuzzy = Fuzzy(empty_edges)
    if config.fuzzy and not nothing_new:
        texts = base.select("nid", "text")
        fuzzy = fuzzy_phase(reps, texts, config, h.reuse_clusters, clock, keep)
    labels, rounds = components_phase(
        exact_edges.unionByName(fuzzy.edges),
        prior.clusters if h.reuse_clusters else None,
        config,
        checkpoint,
        clock,
    )
    prior_used = prior if h.reuse_clusters else None
    members, by_reason, n_members, n_clusters = audit_phase(
        labels, h, order, rule_cols, config, prior_used, clock, keep
    )
    funnel = _funnel(stage, h.per_source, by_reason)
    for key, n in {
        "dedup.signatures_computed": h.computed,
        "dedup.signatures_reused": sum(h.per_source.values()) - h.computed,
        "dedup.candidate_pairs": fuzzy.pairs,
        "dedup.verified_pairs": fuzzy.verified,
        "dedup.oversized_buckets": fuzzy.oversized,
        "dedup.clustered_docs": n_members,
        "dedup.clusters": n_clusters,
        "dedup.cc_rounds": rounds,
    }.items():
        funnel.extra(key, n)
    counts = funnel.as_counts()
    stored_rows = h.new if h.reused is None else h.new.unionByName(h.reused)
    append = prior.signatures is not None and h.removed == 0
    signature_rows = (h.new if append else stored_rows).withColumns(
        {"signature_key": F.lit(config.signature_key()), "run_id": F.lit(run_id)}
    )
    report = {
        "banding": config.banding().as_dict(),
        "num_perm": config.num_perm,
        "shingles": config.shingles.model_dump(),
        "scope": config.scope,
        "verify": config.verify,
        "survivor_rule": rule_used,
        "prior_state": prior.note,
        "prior_clusters_reused": h.reuse_clusters,
        "removed_since_prior": h.removed,
        "phase_seconds": clock.phases,
    }
    report["markdown"] = markdown_report(counts, report)
    drops = members.filter(F.col("reason") != clusters.KEPT)
    kept = docs.join(drops.select("doc_id"), "doc_id", "left_anti").select(*docs.columns)
    return DedupResult(
        kept=kept,
        rejects=clusters.reject_rows(members, base, stage, run_id),
        clusters=clusters.cluster_rows(members, config.cluster_key(), run_id),
        signatures=signature_rows,
        signatures_mode="append" if append else "overwrite",
        counts=counts,
        report=report,
        funnel=funnel,
        persisted=keep,
    )


def _funnel(stage: str, per_source: dict[str, int], by_reason: list) -> Funnel:
    """The run's funnel (docs/conventions.md): input = kept + rejected, per reason and source."""
    reasons = [(f, r) for r, f in clusters.FILTER_OF.items()]
    funnel = Funnel(stage, sources=sorted(per_source), reasons=reasons)
    rejected_by_source: dict[str, int] = {}
    for row in by_reason:
        source, reason, n = row["source"], row["reason"], row["count"]
        funnel.add(source, "rejected", n, clusters.FILTER_OF[reason], reason)
        rejected_by_source[source] = rejected_by_source.get(source, 0) + n
    for source, n in sorted(per_source.items()):
        funnel.add(source, "input", n)
        funnel.add(source, "kept", n - rejected_by_source.get(source, 0))
    funnel.check()
    return funnel
