"""Dedup paragraphs: remove paragraphs (or lines) repeated across documents, keep the first.

Reads ``input_table`` (default ``deduped_docs``) and writes ``rejects`` (rows
``stage = 'dedup_paragraphs'``, reason ``empty_after_paragraph_dedup``) and
``paragraph_deduped_docs`` (all input columns, repeated paragraphs removed). The counting is
exact: a Spark aggregation over 64-bit hashes of the normalised pieces
(``dedup.paragraphs``); a piece occurring in at least ``min_docs`` documents survives only in
the first document by the survivor rule, at its first position there.

Counts: those of ``edit_accounting`` with filter ``dedup_paragraphs`` (``chars.edited.
dedup_paragraphs`` = characters of removed paragraphs in kept documents, per source
``chars.source.<name>.edited``), ``paragraphs.*`` (pieces hashed, repeated groups, removed).
"""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

from data_pipeline.dedup.clusters import survivor_order
from data_pipeline.dedup.paragraphs import (
    ACTIONS,
    CLEAN,
    DROPPED,
    PIECES,
    ParagraphDedupConfig,
    apply_removals,
    piece_hashes,
)
from data_pipeline.lakehouse.tables import REJECTS, TableVersion, TableWrite, first_value
from data_pipeline.stages.edit_accounting import account
from data_pipeline.stages.registry import StageContext, StageOutput, StageSpec, register_stage

STAGE = "dedup_paragraphs"
OUTPUT = "paragraph_deduped_docs"
PIECE_SCHEMA = StructType(
    [
        StructField("doc_id", StringType()),
        StructField("para_idx", IntegerType()),
        StructField("para_hash", LongType()),
        StructField("para_chars", LongType()),
    ]
)
assert PIECE_SCHEMA.names == PIECES.names


def removals(docs, cfg: ParagraphDedupConfig):
    """(doc_id, drop_idx, removed_chars) of documents losing pieces, and the pieces."""
    order, _ = survivor_order(cfg.survivor, docs.columns)
    carry = tuple(
        dict.fromkeys(
            k.column for k in cfg.survivor if k.column in docs.columns and k.column != "doc_id"
        )
    )
    schema = StructType([*PIECE_SCHEMA.fields, *(docs.schema[c] for c in carry)])
    pieces = docs.select("doc_id", "text", *carry).mapInArrow(
        lambda it: piece_hashes(it, cfg, carry), schema
    )
    pieces = pieces.persist(StorageLevel.MEMORY_AND_DISK)
    counted = pieces.withColumn(
        "n_docs", F.size(F.collect_set("doc_id").over(Window.partitionBy("para_hash")))
    )
    repeated = counted.filter(F.col("n_docs") >= cfg.min_docs)
    first = Window.partitionBy("para_hash").orderBy(*order, F.col("para_idx").asc())
    ranked = repeated.withColumn("rank", F.row_number().over(first))
    dropped = ranked.filter(F.col("rank") > 1)
    per_doc = dropped.groupBy("doc_id").agg(
        F.collect_list("para_idx").alias("drop_idx"), F.sum("para_chars").alias("removed_chars")
    )
    groups = ranked.filter(F.col("rank") == 1)
    return per_doc, pieces, groups


BROADCAST_MAX_DOCS = 2_000_000  # documents losing pieces: a broadcast join up to this many


def annotate(docs, cfg: ParagraphDedupConfig):
    """``docs`` with pieces removed and ``para_action``, ``para_reason``, ``input_chars``,
    ``paras_removed``; plus the persisted frames (per_doc, pieces) and the survivors."""
    per_doc, pieces, groups = removals(docs, cfg)
    per_doc = per_doc.persist(StorageLevel.MEMORY_AND_DISK)
    drops = per_doc.select("doc_id", "drop_idx")
    if per_doc.count() <= BROADCAST_MAX_DOCS:  # texts stay where they are, no shuffle
        drops = F.broadcast(drops)
    joined = docs.join(drops, "doc_id", "left")
    untouched = joined.filter(F.col("drop_idx").isNull()).select(
        *docs.columns,
        F.lit(CLEAN).alias("para_action"),
        F.lit(None).cast("string").alias("para_reason"),
        F.coalesce(F.length("text"), F.lit(0)).cast("long").alias("input_chars"),
        F.lit(0).cast("long").alias("paras_removed"),
    )  # stays in the JVM: only documents that lose pieces go through Python
    schema = StructType(
        [
            *docs.schema.fields,
            StructField("para_action", StringType()),
            StructField("para_reason", StringType()),
            StructField("input_chars", LongType()),
            StructField("paras_removed", LongType()),
        ]
    )
    edited = joined.filter(F.col("drop_idx").isNotNull()).select(*docs.columns, "drop_idx")
    annotated = edited.mapInArrow(lambda it: apply_removals(it, cfg), schema).unionByName(untouched)
    return annotated.persist(StorageLevel.MEMORY_AND_DISK), [per_doc, pieces], groups


def run(ctx: StageContext) -> StageOutput:
    cfg: ParagraphDedupConfig = ctx.config
    docs = ctx.read(cfg.input_table)
    annotated, persisted, groups = annotate(docs, cfg)
    funnel = account(
        annotated, STAGE, STAGE, "para_action", "para_reason", "paragraphs.docs_", ACTIONS
    )
    counts = funnel.as_counts()
    counts["paragraphs.hashed"] = persisted[1].count()
    counts["paragraphs.repeated_groups"] = groups.count()
    counts["paragraphs.removed"] = int(first_value(annotated.agg(F.sum("paras_removed"))) or 0)
    ctx.progress(
        f"{counts['paragraphs.removed']} repeated paragraphs removed, "
        f"{counts['rejected']} documents left too short",
        0.8,
    )
    kept = annotated.filter(F.col("para_action") != DROPPED).select(*docs.columns)
    rejected = annotated.filter(F.col("para_action") == DROPPED).select(
        "doc_id",
        "source",
        F.lit(STAGE).alias("stage"),
        F.lit(STAGE).alias("filter"),
        F.col("para_reason").alias("reason"),
        F.lit(None).cast("double").alias("score"),
        F.lit(None).cast("string").alias("cluster_id"),
        "text",
        "url_or_path",
        F.lit(ctx.run_id).alias("run_id"),
    )
    removed = counts.get(f"chars.edited.{STAGE}", 0)
    report = {
        "markdown": (
            f"### Paragraph dedup ({cfg.unit}s of >= {cfg.min_chars} normalised characters in "
            f">= {cfg.min_docs} documents)\n\n"
            f"pieces hashed {counts['paragraphs.hashed']:,}, repeated groups "
            f"{counts['paragraphs.repeated_groups']:,}, removed {counts['paragraphs.removed']:,} "
            f"({removed:,} characters of {counts['chars.input']:,}); documents input "
            f"{counts['input']:,}, kept {counts['kept']:,}, rejected {counts['rejected']:,}"
        )
    }

    def verify(written: dict[str, TableVersion]) -> None:
        funnel.verify_committed(ctx.lakehouse, written, OUTPUT, ctx.run_id, whole_output=True)

    return StageOutput(
        writes=[
            TableWrite(REJECTS, rejected, replace_where=f"stage = '{STAGE}'"),
            TableWrite(OUTPUT, kept, partition_by=("source",)),
        ],
        counts=counts,
        report=report,
        verify=verify,
        persisted=[*persisted, annotated],
    )


def input_tables(config: ParagraphDedupConfig) -> tuple[str, ...]:
    return (config.input_table,)


SPEC = register_stage(
    StageSpec(
        name=STAGE,
        config_model=ParagraphDedupConfig,
        run=run,
        inputs=input_tables,
        outputs=(REJECTS, OUTPUT),
        description="exact paragraph/line dedup across documents; first occurrence survives",
    )
)
