"""Dedup: exact and MinHash near-duplicate removal with an audit of every removed document.

Reads ``input_table`` (default ``filtered_docs``) and writes, in order:

- ``minhash_signatures``: exact hash, signature and band keys per document (appended for new
  documents; rewritten when documents disappeared or settings changed);
- ``duplicate_clusters``: one row per cluster (id, scope, survivor, members with reason and
  Jaccard similarity to the survivor);
- ``rejects`` (rows ``stage = 'dedup'``): every dropped document with reason
  ``exact_duplicate`` or ``near_duplicate``, its cluster id and similarity as ``score``;
- ``deduped_docs``: the input minus the dropped documents (all input columns kept).

Counts: ``input = kept + rejected``, ``rejected.exact_hash.exact_duplicate``,
``rejected.minhash.near_duplicate``, ``source.<name>.{input,kept,rejected}``, and
``dedup.*`` work counters (signatures computed/reused, candidate and verified pairs, clusters,
connected-component rounds). The report carries the banding choice, S-curve and a markdown
summary.
"""

from __future__ import annotations

import os

from pyspark.sql import DataFrame

from data_pipeline.dedup.clusters import CLUSTER_TABLE, CLUSTERS
from data_pipeline.dedup.components import Checkpoint, local_checkpoint
from data_pipeline.dedup.config import DedupConfig
from data_pipeline.dedup.engine import Prior, deduplicate
from data_pipeline.dedup.signing import SIGNATURE_TABLE, SIGNATURES
from data_pipeline.lakehouse.tables import REJECTS, TableVersion, TableWrite
from data_pipeline.stages.registry import StageContext, StageOutput, StageSpec, register_stage

STAGE = "dedup"
OUTPUT = "deduped_docs"


def _single_key(df: DataFrame, column: str) -> list[str]:
    return [r[0] for r in df.select(column).distinct().limit(2).collect()]


def load_prior(ctx: StageContext) -> Prior:
    """Stored signatures and clusters usable by this run (see ``engine.Prior``)."""
    cfg: DedupConfig = ctx.config
    lake = ctx.lakehouse
    if not cfg.incremental:
        return Prior(note="incremental: off")
    sig_version = lake.latest_version(SIGNATURES) if lake.exists(SIGNATURES) else None
    if sig_version is None:
        return Prior(note="no stored signatures")
    sigs = lake.read(SIGNATURES, sig_version)
    if _single_key(sigs, "signature_key") not in ([cfg.signature_key()], []):
        return Prior(note=f"{SIGNATURES}@{sig_version} has other settings; all recomputed")
    note = f"signatures {SIGNATURES}@{sig_version}"
    cl_version = lake.latest_version(CLUSTERS) if lake.exists(CLUSTERS) else None
    if cl_version is None:
        return Prior(signatures=sigs, note=note + "; no stored clusters")
    stored = lake.read(CLUSTERS, cl_version)
    same_run = lake.commit_metadata(SIGNATURES, sig_version).get("run_id") == lake.commit_metadata(
        CLUSTERS, cl_version
    ).get("run_id")
    same_key = _single_key(stored, "cluster_key") in ([cfg.cluster_key()], [])
    if not (same_run and same_key):
        why = "another run" if not same_run else "other settings"
        return Prior(signatures=sigs, note=note + f"; {CLUSTERS}@{cl_version} from {why}")
    return Prior(
        signatures=sigs, clusters=stored, note=note + f", clusters {CLUSTERS}@{cl_version}"
    )


def _checkpointer(ctx: StageContext) -> Checkpoint:
    mode = ctx.config.checkpoint
    if mode == "auto":
        master = ctx.spark.sparkContext.master or ""
        mode = "local" if master.startswith("local") else "reliable"
    if mode == "local":
        return local_checkpoint
    sc = ctx.spark.sparkContext
    if sc.getCheckpointDir() is None:
        root = ctx.lakehouse.root
        sc.setCheckpointDir(
            os.path.join(root, "_checkpoints", STAGE)
            if "://" not in root
            else (f"{root}/_checkpoints/{STAGE}")
        )
    return lambda df: df.checkpoint(eager=True)


def _add_new_columns(ctx: StageContext, df: DataFrame) -> None:
    """Let ``deduped_docs`` follow its input's schema: add columns the input gained."""
    if not ctx.lakehouse.exists(OUTPUT):
        return
    existing = set(ctx.lakehouse.read(OUTPUT).columns)
    added = [f for f in df.schema.fields if f.name not in existing]
    if added:
        cols = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in added)
        ctx.spark.sql(f"ALTER TABLE delta.`{ctx.lakehouse.path(OUTPUT)}` ADD COLUMNS ({cols})")


def run(ctx: StageContext) -> StageOutput:
    cfg: DedupConfig = ctx.config
    docs = ctx.read(cfg.input_table)
    prior = load_prior(ctx)
    ctx.progress(f"prior state: {prior.note}", 0.05)
    result = deduplicate(docs, cfg, ctx.run_id, prior, STAGE, _checkpointer(ctx))
    ctx.progress(
        f"{result.counts['rejected']} of {result.counts['input']} documents are duplicates", 0.8
    )
    _add_new_columns(ctx, result.kept)
    counts = result.counts

    def verify(written: dict[str, TableVersion]) -> None:
        result.funnel.verify_committed(ctx.lakehouse, written, OUTPUT, ctx.run_id, True)

    return StageOutput(
        writes=[
            TableWrite(
                SIGNATURES, result.signatures, mode=result.signatures_mode, schema=SIGNATURE_TABLE
            ),
            TableWrite(CLUSTERS, result.clusters, schema=CLUSTER_TABLE),
            TableWrite(REJECTS, result.rejects, replace_where=f"stage = '{STAGE}'"),
            TableWrite(OUTPUT, result.kept, partition_by=("source",)),
        ],
        counts=counts,
        report=result.report,
        verify=verify,
        persisted=result.persisted,
    )


def input_tables(config: DedupConfig) -> tuple[str, ...]:
    return (config.input_table,)


SPEC = register_stage(
    StageSpec(
        name=STAGE,
        config_model=DedupConfig,
        run=run,
        inputs=input_tables,
        outputs=(SIGNATURES, CLUSTERS, REJECTS, OUTPUT),
        description="exact + MinHash near-duplicate removal; clusters and rejects for audit",
    )
)
