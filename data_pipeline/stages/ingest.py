"""Ingest: read declared sources into the ``ingested_docs`` table; every bad record quarantined.

Output schema: ``doc_id`` (SHA-256 of source, URL or else file name within the source folder
plus location, and text; 128 bits, hex), ``text``, ``source``, ``licence``, ``url_or_path``,
``metadata``, ``ingested_at``, ``run_id``. The table is partitioned by ``source``; a run
replaces the rows of the sources it read (and only those).

Accounting, per source and in total, in the words every stage uses: ``input`` (records the
readers saw plus whole files that could not be read) = ``kept`` + ``rejected`` (always 0 here)
+ ``quarantined``, with ``quarantined.<reason>``. The run checks it before and after the
commit (``ingest_accounting``). A file read in part (a truncated ``.gz``/``.zst`` stream, a
corrupt Parquet row group) keeps the records read before the break and counts its lost rest
as one quarantined record
(``truncated_file`` with line and byte offsets, ``corrupt_row_group`` with its index);
``partly_read_files`` counts such files.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from data_pipeline.lakehouse import schemas
from data_pipeline.lakehouse.config import ConfigError, SourceConfig, StrictModel
from data_pipeline.lakehouse.tables import QUARANTINE, TableVersion, TableWrite
from data_pipeline.progress import track_progress
from data_pipeline.readers import RAW_SCHEMA, get_reader, plan_splits
from data_pipeline.readers.base import (
    BAD,
    DOC,
    END,
    ReadOptions,
    Split,
    reader_files,
)
from data_pipeline.stages.ingest_accounting import account, broken
from data_pipeline.stages.ingest_accounting import verify as verify_committed
from data_pipeline.stages.registry import StageContext, StageOutput, StageSpec, register_stage

OUTPUT = "ingested_docs"
STAGE = "ingest"


class IngestError(RuntimeError):
    """The run was stopped before any commit (a missing file or a bad file under 'fail')."""


class IngestConfig(StrictModel):
    """Ingest settings. Sizes in characters (documents) and bytes (records, splits)."""

    sources: list[str] | None = Field(default=None, description="subset of sources; all if unset")
    max_doc_chars: int = Field(default=1_000_000, ge=1)
    max_record_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    split_bytes: int = Field(default=32 * 1024 * 1024, ge=4096)
    on_missing_file: Literal["fail", "quarantine"] = "fail"
    on_bad_file: Literal["quarantine", "fail"] = "quarantine"

    def read_options(self) -> ReadOptions:
        return ReadOptions(self.max_doc_chars, self.max_record_bytes)


def selected_sources(ctx: StageContext) -> list[SourceConfig]:
    names = ctx.config.sources
    sources = list(ctx.project.sources) if names is None else [ctx.project.source(n) for n in names]
    if not sources:
        raise ConfigError(f"{ctx.project.origin}: no sources to ingest")
    return sources


def _read_partition(sources: dict[str, SourceConfig], options: ReadOptions):
    def read(batches):
        for batch in batches:
            for row in batch.to_pylist():
                split = Split(**row)
                reader = get_reader(sources[split.source], options)
                yield from reader.batches(split)

    return read


def _plan(ctx: StageContext, sources: list[SourceConfig]) -> tuple[list[Split], list[dict]]:
    """Splits to read, and quarantine rows for sources whose path matches no file."""
    cfg: IngestConfig = ctx.config
    splits: list[Split] = []
    missing: list[dict] = []
    for source in sources:
        files = reader_files(source)
        if not files:
            message = f"source {source.name!r}: no file matches {source.path!r}"
            if cfg.on_missing_file == "fail":
                raise IngestError(message + " (on_missing_file: fail; nothing was committed)")
            missing.append(
                {
                    "stage": STAGE,
                    "source": source.name,
                    "file": source.path,
                    "location": "file",
                    "reason": "missing_file",
                    "error": message,
                    "raw": None,
                    "run_id": ctx.run_id,
                }
            )
        splits.extend(plan_splits(source, cfg.read_options(), cfg.split_bytes, files))
    return splits, missing


def preflight(project, cfg: IngestConfig) -> None:
    """Before Spark starts: with ``on_missing_file: fail``, every source must match a file."""
    if cfg.on_missing_file != "fail":
        return
    names = cfg.sources
    sources = list(project.sources) if names is None else [project.source(n) for n in names]
    for source in sources:
        if not reader_files(source):
            raise ConfigError(
                f"{project.origin}: source {source.name!r}: no file matches {source.path!r} "
                "(fix the path, or set stages.ingest.on_missing_file: quarantine)"
            )


def fingerprint(ctx: StageContext) -> list:
    """Names, sizes and change tokens (mtime or ETag) of the files this run would read."""
    return [
        (source.name, f.path, f.size, f.version)
        for source in selected_sources(ctx)
        for f in reader_files(source)
    ]


def config_view(ctx: StageContext) -> dict:
    return {
        "ingest": ctx.config.model_dump(mode="json"),
        "sources": [s.model_dump(mode="json") for s in selected_sources(ctx)],
    }


def _licence_column(sources: list[SourceConfig]):
    pairs = []
    for source in sources:
        pairs += [F.lit(source.name), F.lit(source.licence)]
    return F.element_at(F.create_map(*pairs), F.col("source"))


def _docs(
    raw: DataFrame, bad_splits: list[str], ctx: StageContext, sources: list[SourceConfig]
) -> DataFrame:
    where = F.concat(F.lit("#"), F.regexp_replace("location", " ", "="))
    url_or_path = F.coalesce(F.col("url"), F.concat(F.col("file"), where))
    # ids use the file's name within its source folder: the same corpus in a bucket or on a
    # local disk gets the same ids
    identity = F.coalesce(F.col("url"), F.concat(F.col("name"), where))
    docs = raw.filter((F.col("kind") == DOC) & ~F.col("split_id").isin(bad_splits))
    return docs.select(
        F.substring(F.sha2(F.concat_ws("\u0000", "source", identity, "text"), 256), 1, 32).alias(
            "doc_id"
        ),
        "text",
        "source",
        _licence_column(sources).alias("licence"),
        url_or_path.alias("url_or_path"),
        "metadata",
        F.lit(ctx.started_at.replace(tzinfo=None)).cast("timestamp").alias("ingested_at"),
        F.lit(ctx.run_id).alias("run_id"),
    )


def _quarantine(raw: DataFrame, ends: list, ctx: StageContext, missing: list[dict]) -> DataFrame:
    bad_split_errors = {e["split_id"]: e["error"] for e in ends if broken(e)}
    error_map = (
        F.create_map(*[F.lit(x) for kv in bad_split_errors.items() for x in kv])
        if bad_split_errors
        else F.create_map().cast("map<string,string>")
    )
    bad_records = raw.filter(F.col("kind") == BAD).select(
        F.lit(STAGE).alias("stage"), "source", "file", "location", "reason", "error", "raw"
    )
    from_bad_files = raw.filter(
        (F.col("kind") == DOC) & F.col("split_id").isin(list(bad_split_errors))
    ).select(
        F.lit(STAGE).alias("stage"),
        "source",
        "file",
        "location",
        F.lit("bad_file").alias("reason"),
        F.concat(
            F.lit("record read from a file that failed later: "),
            F.element_at(error_map, F.col("split_id")),
        ).alias("error"),
        F.substring("text", 1, 1024).alias("raw"),
    )
    whole_files = [
        {
            "stage": STAGE,
            "source": e["source"],
            "file": e["file"],
            "location": "file",
            "reason": e["reason"] or "unreadable_file",
            "error": e["error"],
            "raw": None,
        }
        for e in ends
        if broken(e) and e["records"] == 0
    ] + [{k: v for k, v in m.items() if k != "run_id"} for m in missing]
    quarantine = bad_records.unionByName(from_bad_files)
    if whole_files:
        file_schema = schemas.QUARANTINE.fields[:-1]
        from pyspark.sql.types import StructType

        quarantine = quarantine.unionByName(
            ctx.spark.createDataFrame(whole_files, StructType(file_schema))
        )
    return quarantine.withColumn("run_id", F.lit(ctx.run_id))


def run(ctx: StageContext) -> StageOutput:
    cfg: IngestConfig = ctx.config
    sources = selected_sources(ctx)
    splits, missing = _plan(ctx, sources)
    by_name = {s.name: s for s in sources}
    spark = ctx.spark
    split_rows = [s.as_dict() for s in splits]
    raw_schema = from_arrow_schema(RAW_SCHEMA)
    if split_rows:
        parallel = max(1, min(len(split_rows), spark.sparkContext.defaultParallelism * 4))
        split_df = spark.createDataFrame(
            spark.sparkContext.parallelize(split_rows, parallel).map(
                lambda d: (
                    d["source"],
                    d["path"],
                    d["format"],
                    d["start"],
                    d["end"],
                    d["size"],
                    d["name"],
                )
            ),
            "source string, path string, format string, start long, end long, size long, "
            "name string",
        )
        raw = split_df.mapInArrow(_read_partition(by_name, cfg.read_options()), raw_schema)
    else:
        raw = spark.createDataFrame([], raw_schema)
    raw = raw.persist(StorageLevel.MEMORY_AND_DISK)
    with track_progress(spark, "ingest", ctx.progress, len(splits)):
        ends = [
            r.asDict()
            for r in raw.filter(F.col("kind") == END)
            .select("split_id", "source", "file", "error", "reason", "records")
            .collect()
        ]
        bad = [e for e in ends if e["error"]]  # with on_bad_file: fail, a partial read fails too
        in_bad = F.col("split_id").isin([e["split_id"] for e in bad if broken(e)])
        kinds = (
            raw.groupBy("source", "kind", "reason", in_bad.alias("in_bad_split")).count().collect()
        )
    if bad and cfg.on_bad_file == "fail":
        raw.unpersist()
        listing = "; ".join(f"{e['file']}: {e['error']}" for e in bad)
        raise IngestError(
            f"{len(bad)} unreadable file(s) (on_bad_file: fail; nothing was committed): {listing}"
        )
    counts = account(ends, kinds, missing, sources)
    bad_ids = [e["split_id"] for e in bad if broken(e)]
    docs = _docs(raw, bad_ids, ctx, sources)
    quarantine = _quarantine(raw, ends, ctx, missing)
    names = ", ".join(f"'{s.name}'" for s in sources)

    def verify(written: dict[str, TableVersion]) -> None:
        verify_committed(ctx, written, counts, [s.name for s in sources], OUTPUT, STAGE)

    report = {
        "sources": {
            s.name: {
                k.split(".", 2)[2]: v
                for k, v in counts.items()
                if k.startswith(f"source.{s.name}.")
            }
            for s in sources
        },
        "files": len({s.path for s in splits}),
        "splits": len(splits),
    }
    return StageOutput(
        writes=[
            TableWrite(
                QUARANTINE, quarantine, replace_where=f"stage = '{STAGE}' AND source IN ({names})"
            ),
            TableWrite(
                OUTPUT,
                docs,
                replace_where=f"source IN ({names})",
                partition_by=("source",),
                schema=schemas.DOCUMENTS,
            ),
        ],
        counts=counts,
        report=report,
        verify=verify,
        persisted=[raw],
    )


SPEC = register_stage(
    StageSpec(
        name=STAGE,
        config_model=IngestConfig,
        run=run,
        outputs=(OUTPUT, QUARANTINE),
        description="read declared sources into ingested_docs; bad records to quarantine",
        config_view=config_view,
        fingerprint=fingerprint,
        preflight=preflight,
    )
)
