"""Filter: language ID, heuristic rules, quality classifier, safety and PII over ingested docs.

Reads ``input`` (``ingested_docs``), runs each source's filter chain inside Spark (``mapInArrow``,
models loaded once per partition) and writes:

- ``filtered_docs``: kept documents, the DOCUMENTS columns (``run_id`` = this run, ``text`` after
  edits such as C4 line removal and PII redaction) plus ``lang``, ``lang_score``,
  ``quality_score`` and ``tags``; partitioned by ``source``; a run replaces its sources' rows;
- ``rejects``: dropped documents with ``stage = 'filter'``, ``filter``, ``reason``, ``score`` and
  the original text; a run replaces its sources' ``filter`` rows.

Counts (see docs/conventions.md): ``input``, ``kept``, ``rejected``, ``rejected.<filter>.<reason>``,
``source.<name>.{input,kept,rejected}``, ``lang.<code>.{input,kept,rejected}``, the same in
characters under ``chars.`` (``chars.input = chars.kept + chars.rejected + chars.edited.*``), and
the filters' own events (``skipped.*``, ``edited.*``, ``redacted.*``, ``tagged.*``, ``errors.*``).
All come from Spark aggregations, and the run checks ``input = kept + rejected`` per source before
and after the commit.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

from data_pipeline.filters.chain import ADDED_FIELDS, arrow_mapper
from data_pipeline.lakehouse import schemas, storage
from data_pipeline.lakehouse.artifacts import ArtifactRegistry, parse_ref
from data_pipeline.lakehouse.names import ARTIFACT_PREFIX
from data_pipeline.lakehouse.spark import spread
from data_pipeline.lakehouse.tables import REJECTS, TableVersion, TableWrite
from data_pipeline.progress import track_progress
from data_pipeline.report.funnel import funnel_from_counts, render_chart
from data_pipeline.report.stage import filter_markdown
from data_pipeline.stages.filter_accounting import account
from data_pipeline.stages.filter_config import FilterConfig
from data_pipeline.stages.filter_sample import estimate_quality_threshold, sample_docs
from data_pipeline.stages.registry import StageContext, StageOutput, StageSpec, register_stage

STAGE = "filter"

FILTERED_DOCS = StructType(
    [
        *schemas.DOCUMENT_FIELDS,
        StructField("lang", StringType(), True),
        StructField("lang_score", DoubleType(), True),
        StructField("quality_score", DoubleType(), True),
        StructField("tags", ArrayType(StringType()), True),
    ]
)


def filter_input(ctx: StageContext) -> DataFrame:
    cfg: FilterConfig = ctx.config
    df = ctx.read(cfg.input_table)
    if cfg.sources is not None:
        df = df.filter(F.col("source").isin(cfg.sources))
    return df


def resolve_models(ctx: StageContext) -> dict[str, dict[str, Any]]:
    """Parameter overrides per filter: artifact references resolved to files (driver side)."""
    cfg: FilterConfig = ctx.config
    out: dict[str, dict[str, Any]] = {}
    for item in cfg.all_items():
        for key in ("model", "classifier"):
            ref = item.params.get(key)
            if isinstance(ref, str) and ref.startswith(ARTIFACT_PREFIX):
                name, version = parse_ref(ref)
                artifact = ArtifactRegistry(ctx.lakehouse).get(name, version)
                out.setdefault(item.name, {})[key] = artifact.uri
    return out


def chain_spec(ctx: StageContext, df: DataFrame | None = None):
    """The chain this run applies, with models resolved and any top-fraction threshold fixed."""
    cfg: FilterConfig = ctx.config
    resolved = resolve_models(ctx)
    quality = next((i for i in cfg.all_items() if i.name == "quality_classifier"), None)
    if quality is not None and quality.params.get("top_fraction"):
        probe = cfg.chain_spec(
            {
                **resolved,
                "quality_classifier": {
                    **resolved.get("quality_classifier", {}),
                    "min_score": None,
                    "top_fraction": None,
                },
            }
        )
        docs = sample_docs(
            df if df is not None else filter_input(ctx), quality.params["top_fraction_sample"]
        )
        threshold = estimate_quality_threshold(probe, docs, quality.params["top_fraction"])
        resolved.setdefault("quality_classifier", {}).update(
            {"min_score": threshold, "top_fraction": None}
        )
    return cfg.chain_spec(resolved)


def config_view(ctx: StageContext) -> dict:
    view = ctx.config.model_dump(mode="json")
    view["resolved_models"] = resolve_models(ctx)
    return view


def run(ctx: StageContext) -> StageOutput:
    cfg: FilterConfig = ctx.config
    df = filter_input(ctx)
    sources = sorted(r["source"] for r in df.select("source").distinct().collect())
    spec = chain_spec(ctx, df)
    added = from_arrow_schema(pa.schema(ADDED_FIELDS))
    out_schema = StructType([*df.schema.fields, *added.fields])
    annotated = (
        spread(df)  # a few input files must not leave cores idle
        .mapInArrow(arrow_mapper(spec), out_schema)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    with track_progress(ctx.spark, "filter", ctx.progress, len(sources), unit="sources"):
        funnel = account(annotated, sources)
    counts = funnel.as_counts()
    kept = annotated.filter(F.col("reason").isNull()).select(
        *[
            F.lit(ctx.run_id).alias("run_id") if f.name == "run_id" else F.col(f.name)
            for f in FILTERED_DOCS.fields
        ]
    )
    rejected = annotated.filter(F.col("reason").isNotNull()).select(
        "doc_id",
        "source",
        F.lit(STAGE).alias("stage"),
        "filter",
        "reason",
        "score",
        F.lit(None).cast("string").alias("cluster_id"),
        "text",
        "url_or_path",
        F.lit(ctx.run_id).alias("run_id"),
    )
    names = ", ".join(f"'{s}'" for s in sources) or "''"
    report: dict[str, Any] = {"counts": counts, "sources": sources, "chain": _chain_view(spec)}
    examples = _examples(annotated, cfg.examples_per_reason) if cfg.examples_per_reason else []
    if cfg.examples_per_reason:
        report["examples"] = examples
    report["markdown"] = filter_markdown(counts, examples)
    chart = storage.join(ctx.project.artifacts, "runs", ctx.run_id, "filter_funnel.png")
    step = funnel_from_counts(STAGE, ctx.run_id, cfg.output, counts)
    report["files"] = [render_chart([step], chart, f"filter run {ctx.run_id}")]

    def verify(written: dict[str, TableVersion]) -> None:
        funnel.verify_committed(ctx.lakehouse, written, cfg.output, ctx.run_id)

    return StageOutput(
        writes=[
            TableWrite(
                REJECTS, rejected, replace_where=f"stage = '{STAGE}' AND source IN ({names})"
            ),
            TableWrite(
                cfg.output,
                kept,
                replace_where=f"source IN ({names})",
                partition_by=("source",),
                schema=FILTERED_DOCS,
            ),
        ],
        counts=counts,
        report=report,
        verify=verify,
        persisted=[annotated],
    )


def _chain_view(spec) -> dict:
    return {
        "default": [name for name, _ in spec.default],
        "per_source": {k: [name for name, _ in v] for k, v in spec.per_source.items()},
    }


def _examples(annotated: DataFrame, per_reason: int) -> list[dict]:
    """A few rejected documents per (filter, reason), deterministic (smallest doc ids)."""
    from pyspark.sql.window import Window

    window = Window.partitionBy("filter", "reason").orderBy("doc_id")
    rows = (
        annotated.filter(F.col("reason").isNotNull())
        .withColumn("_n", F.row_number().over(window))
        .filter(F.col("_n") <= per_reason)
        .select(
            "filter",
            "reason",
            "source",
            "lang",
            "score",
            "doc_id",
            F.substring("text", 1, 300).alias("text"),
        )
        .orderBy("filter", "reason", "doc_id")
        .collect()
    )
    return [r.asDict() for r in rows]


SPEC = register_stage(
    StageSpec(
        name=STAGE,
        config_model=FilterConfig,
        run=run,
        inputs=lambda cfg: (cfg.input_table,),
        outputs=("filtered_docs", REJECTS),
        description="language ID, heuristic rules, quality, safety and PII; drops to rejects",
        config_view=config_view,
    )
)
