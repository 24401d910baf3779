"""Decontaminate: remove evaluation items (13-gram overlap) from the training documents.

Reads ``input_table`` (default ``paragraph_deduped_docs``) and ``benchmark_items`` (the
gauntlet's evaluated items as evaluation formats them; the flows publish it before this stage
runs, from the ``index`` settings ``gauntlet``, ``tasks`` and ``limit``), indexes the items
(``data_pipeline.decontam``) and writes, in order:

- ``contamination_index``: the index (task, item, n-gram, hashes, index digest), also
  registered as the artifact ``decontam-index`` (a new version only when its digest changes);
- ``contamination``: one row per hit: document, task, item, matched n-gram, token position,
  character span and what was done (``cut`` or ``dropped``);
- ``rejects`` (rows ``stage = 'decontaminate'``): dropped documents, reason ``contaminated``
  or ``too_short_after_decontamination``;
- ``decontaminated_docs``: the input minus dropped documents, matches cut out.

Counts: ``input = kept + rejected``, ``rejected.decontaminate.<reason>``,
``source.<name>.{input,kept,rejected}``, ``chars.input = chars.kept + chars.rejected +
chars.edited.decontaminate`` (characters cut from kept documents), ``decontam.*`` (documents
cut, hits, items found, index size) and ``task.<name>.{items,items_found,docs}``.
"""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import functions as F

from data_pipeline.decontam import report as decontam_report
from data_pipeline.decontam.config import DecontamConfig
from data_pipeline.decontam.index import build_index
from data_pipeline.decontam.match import ACTIONS, DROPPED
from data_pipeline.decontam.scan import found_per_task, hit_rows, index_frame, read_items, scan_docs
from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.schemas import BENCHMARK_ITEMS_TABLE
from data_pipeline.lakehouse.tables import REJECTS, ArtifactRef, TableVersion, TableWrite
from data_pipeline.stages.edit_accounting import account
from data_pipeline.stages.registry import StageContext, StageOutput, StageSpec, register_stage

STAGE = "decontaminate"
FILTER = "decontaminate"
OUTPUT = "decontaminated_docs"
CONTAMINATION = "contamination"
INDEX_TABLE = "contamination_index"
INDEX_ARTIFACT = "decontam-index"


def register_index(ctx: StageContext, built, table_path: str) -> ArtifactRef:
    """The index as artifact ``decontam-index``; an existing version with its digest is reused."""
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry

    registry = ArtifactRegistry(ctx.lakehouse)
    for existing in reversed(registry.versions(INDEX_ARTIFACT)):
        if existing.content_hash == built.digest:
            return existing.ref
    cfg = ctx.config.index
    manifest = {
        "tasks": sorted(built.stats),
        "stats": built.stats,
        "n": cfg.n,
        "min_words": cfg.min_words,
        "template_share": cfg.template_share,
        "normalize": cfg.normalize.model_dump(),
        "digest": built.digest,
        "table": INDEX_TABLE,
    }
    art = registry.register(
        INDEX_ARTIFACT, "ngram_index", table_path, manifest, ctx.run_id, STAGE, built.digest
    )
    return art.ref


def run(ctx: StageContext) -> StageOutput:
    cfg: DecontamConfig = ctx.config
    docs = ctx.read(cfg.input_table)
    items = read_items(ctx.read(BENCHMARK_ITEMS_TABLE))
    if not items:
        raise ValueError(f"{ctx.inputs[BENCHMARK_ITEMS_TABLE]} holds no item: nothing to index")
    built = build_index(items, cfg.index)
    ctx.progress(f"index: {built.rows.num_rows} n-grams of {len(built.stats)} tasks", 0.2)
    index_df = index_frame(ctx.spark, built).persist(StorageLevel.MEMORY_AND_DISK)
    annotated = scan_docs(docs, built, cfg).persist(StorageLevel.MEMORY_AND_DISK)
    funnel = account(
        annotated, STAGE, FILTER, "decontam_action", "decontam_reason", "decontam.docs_", ACTIONS
    )
    counts = funnel.as_counts()
    hits = hit_rows(annotated, index_df, ctx.run_id).persist(StorageLevel.MEMORY_AND_DISK)
    found = found_per_task(hits)
    rows = decontam_report.task_rows(built.stats, found)
    for r in rows:
        for key in ("items", "items_found", "docs"):
            counts[f"task.{r['task']}.{key}"] = r[key]
    counts["decontam.hits"] = sum(r["hits"] for r in rows)
    counts["decontam.items_found"] = sum(r["items_found"] for r in rows)
    counts["decontam.index_ngrams"] = built.rows.num_rows
    counts["decontam.index_items"] = sum(s["indexed"] for s in built.stats.values())
    ctx.progress(
        f"{counts['decontam.items_found']} items found in {counts['decontam.docs_cut']} cut and "
        f"{counts['rejected']} dropped documents",
        0.8,
    )
    report = {"tasks": rows, "index_digest": built.digest}
    report["markdown"] = decontam_report.markdown(rows, counts, built.digest)
    chart = storage.join(ctx.project.artifacts, "runs", ctx.run_id, "contamination.png")
    report["files"] = [
        decontam_report.render_chart(rows, chart, f"contamination, run {ctx.run_id}")
    ]
    artifact = register_index(ctx, built, ctx.lakehouse.path(INDEX_TABLE))
    kept = annotated.filter(F.col("decontam_action") != DROPPED).select(*docs.columns)
    rejected = annotated.filter(F.col("decontam_action") == DROPPED).select(
        "doc_id",
        "source",
        F.lit(STAGE).alias("stage"),
        F.lit(FILTER).alias("filter"),
        F.col("decontam_reason").alias("reason"),
        F.lit(None).cast("double").alias("score"),
        F.lit(None).cast("string").alias("cluster_id"),
        "text",
        "url_or_path",
        F.lit(ctx.run_id).alias("run_id"),
    )

    def verify(written: dict[str, TableVersion]) -> None:
        funnel.verify_committed(ctx.lakehouse, written, OUTPUT, ctx.run_id, whole_output=True)

    return StageOutput(
        writes=[
            TableWrite(INDEX_TABLE, index_df),
            TableWrite(CONTAMINATION, hits),
            TableWrite(REJECTS, rejected, replace_where=f"stage = '{STAGE}'"),
            TableWrite(OUTPUT, kept, partition_by=("source",)),
        ],
        counts=counts,
        report=report,
        verify=verify,
        persisted=[index_df, annotated, hits],
        artifacts=[artifact],
    )


def input_tables(config: DecontamConfig) -> tuple[str, ...]:
    return (config.input_table, BENCHMARK_ITEMS_TABLE)


SPEC = register_stage(
    StageSpec(
        name=STAGE,
        config_model=DecontamConfig,
        run=run,
        inputs=input_tables,
        outputs=(INDEX_TABLE, CONTAMINATION, REJECTS, OUTPUT),
        description="benchmark decontamination: 13-gram overlap with eval items cut or dropped",
    )
)
