"""Tokenize: documents -> packed token sequences in MDS shards, a held-out split, token counts.

Reads ``input_table`` (default ``deduped_docs``) at its pinned version and writes

- an MDS shard set ``<artifacts>/mds/<name>/v<run_id>/<stream>/`` (one stream per source, or per
  quality bucket), registered as artifact ``mds-<name>`` with a manifest (shard hashes, tokens
  per source, tokenizer hash, input table version) and listed among the run's outputs;
- ``heldout_docs``: a deterministic held-out share of each source's documents (never in the
  shards; see ``data_pipeline.tokenize.heldout``), for evaluation;
- ``token_counts``: documents and tokens per (stream, source);
- ``rejects``: documents with empty text (``tokenize/empty_text``).

Counts: ``input = kept + heldout + rejected`` (documents); ``tokens = tokens.written +
tokens.dropped`` where ``tokens.dropped`` is what is left at the end of each stream after the
partition tails are packed together (< ``seq_len`` per stream; all tails when ``tails: drop``).
The same input version and config give byte-identical shards.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.lakehouse.artifacts import ArtifactRegistry
from data_pipeline.lakehouse.config import ConfigError, resolve_path
from data_pipeline.lakehouse.tables import REJECTS, TableVersion, TableWrite
from data_pipeline.lakehouse.tokenizer import (
    resolve_tokenizer,
    token_dtype,
    tokenizer_info,
    tokenizer_json_path,
)
from data_pipeline.progress import track_progress
from data_pipeline.stages.registry import StageContext, StageOutput, StageSpec, register_stage
from data_pipeline.tokenize.config import TokenizeConfig
from data_pipeline.tokenize.heldout import is_heldout, thresholds, unit_hash
from data_pipeline.tokenize.mds_sets import (
    content_hash,
    fresh_version_dir,
    mark_latest,
    set_root,
    write_manifest,
)
from data_pipeline.tokenize.outputs import (
    HELDOUT,
    TOKEN_COUNTS,
    finish_shard_set,
    heldout_frame,
    rejects_frame,
    token_counts_frame,
)
from data_pipeline.tokenize.packing import RESULT_SCHEMA, PackSpec, pack_partition

STAGE = "tokenize"
TIMINGS = ("plan", "tokenize_pack_write", "tails_index_register")  # report["timings_s"] keys


def _inputs(cfg: TokenizeConfig) -> tuple[str, ...]:
    return (cfg.input_table,)


def _base(ctx: StageContext) -> Path:
    return Path(ctx.project.origin).parent if ctx.project.origin != "<memory>" else Path.cwd()


def tokenizer_path(ctx: StageContext) -> Path:
    cfg: TokenizeConfig = ctx.config
    spec = resolve_path(_base(ctx), cfg.tokenizer) if cfg.tokenizer else None
    return resolve_tokenizer(spec, ctx.project.artifacts)


def shard_root(ctx: StageContext) -> str:
    """Where this stage's shard sets go: a local folder or a URI prefix."""
    cfg: TokenizeConfig = ctx.config
    if cfg.output_dir:
        return resolve_path(_base(ctx), cfg.output_dir)
    return set_root(ctx.project.artifacts, cfg.name)


def config_view(ctx: StageContext) -> dict:
    info = tokenizer_info(tokenizer_path(ctx))
    return {
        "tokenize": ctx.config.model_dump(mode="json"),
        "tokenizer_sha256": info.sha256,
        "shard_root": shard_root(ctx),
    }


def _pack_spec(ctx: StageContext, out: str) -> tuple[PackSpec, dict]:
    cfg: TokenizeConfig = ctx.config
    path = tokenizer_path(ctx)
    info = tokenizer_info(path)
    eos = info.token_id(cfg.eos_token) if cfg.eos_token else info.eos_id
    bos = info.token_id(cfg.bos_token) if cfg.bos_token else info.bos_id
    if eos is None:
        raise ConfigError(f"{ctx.project.origin}: stages.tokenize: set eos_token ({path} has none)")
    if cfg.add_bos and bos is None:
        raise ConfigError(f"{ctx.project.origin}: stages.tokenize: set bos_token ({path} has none)")
    dtype = token_dtype(cfg.token_dtype, info.vocab_size)
    spec = PackSpec(
        tokenizer_json=tokenizer_json_path(path).read_text("utf-8"),
        eos_id=int(eos),
        bos_id=bos if cfg.add_bos else None,
        seq_len=cfg.seq_len,
        dtype=dtype,
        out=out,
        compression=cfg.compression,
        hashes=tuple(sorted(cfg.hashes)),
        size_limit=cfg.shard_size_limit,
        threads=cfg.threads_per_task,
    )
    meta = {
        "path": info.path,
        "sha256": info.sha256,
        "vocab_size": info.vocab_size,
        "eos_token": cfg.eos_token or info.eos_token,
        "eos_id": spec.eos_id,
        "bos_token": (cfg.bos_token or info.bos_token) if cfg.add_bos else None,
        "bos_id": spec.bos_id,
    }
    return spec, meta


def _stream_column(cfg: TokenizeConfig, docs: DataFrame):
    if cfg.streams == "source":
        return F.col("source")
    if "quality_score" not in docs.columns:
        raise ConfigError(
            f"stages.tokenize.streams: {cfg.streams!r} needs a quality_score column, which "
            f"{cfg.input_table} does not have"
        )
    ordered = sorted(cfg.quality_buckets, key=lambda b: b.min_score)
    bucket = F.lit(ordered[0].name)  # scores below every bucket go to the lowest one
    for b in ordered[1:]:
        bucket = F.when(F.col("quality_score") >= b.min_score, F.lit(b.name)).otherwise(bucket)
    bucket = F.when(F.col("quality_score").isNull(), F.lit("unscored")).otherwise(bucket)
    return bucket if cfg.streams == "quality" else F.concat_ws(".", "source", bucket)


def _order_hash(column: str = "doc_id"):
    return F.sha2(F.concat(F.lit("order\u0000"), F.col(column)), 256)


def group_keys(spark, weights: dict[tuple[str, int], float], tasks: int) -> dict:
    """A partition key per group that spreads the groups over ``tasks`` Spark partitions.

    Heaviest group first onto the least loaded task. Which task writes a group changes nothing
    in the shards, only the balance. ``repartition(tasks, key)`` places a row at
    ``pmod(hash(key), tasks)``, so each task gets the first integer that hashes to it.
    """
    load = [0.0] * tasks
    task_of = {}
    for group, weight in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
        task = min(range(tasks), key=lambda t: (load[t], t))
        task_of[group], load[task] = task, load[task] + weight
    probe = spark.range(64 * tasks).select("id", F.pmod(F.hash("id"), F.lit(tasks)).alias("t"))
    first: dict[int, int] = {}
    for row in probe.collect():
        first.setdefault(row["t"], row["id"])
    if len(first) < tasks:
        raise RuntimeError(f"no partition key found for each of {tasks} tasks")
    return {group: first[task] for group, task in task_of.items()}


def _input(ctx: StageContext) -> DataFrame:
    cfg: TokenizeConfig = ctx.config
    docs = ctx.read(cfg.input_table)
    missing = {"doc_id", "text", "source"} - set(docs.columns)
    if missing:
        raise ConfigError(f"{cfg.input_table} lacks columns {sorted(missing)}")
    return docs


def _annotated(docs: DataFrame, cfg: TokenizeConfig) -> DataFrame:
    """The input documents with ``u`` (held-out hash), ``stream`` and ``empty`` columns."""
    # a search that stops at the first non-space character, not a scan of every text
    empty = F.col("text").isNull() | ~F.col("text").rlike(r"\S")
    docs = docs.withColumn("u", unit_hash(cfg.heldout.salt)).withColumn(
        "stream", _stream_column(cfg, docs)
    )
    return docs.withColumn("empty", empty)


def _stats(docs: DataFrame, cfg: TokenizeConfig) -> list:
    """One Spark job: per (source, stream) documents, empty ones, characters and documents
    below the held-out fraction."""
    return (
        docs.groupBy("source", "stream")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.col("empty").cast("long")).alias("empty"),
            F.sum(F.when(~F.col("empty"), F.length("text")).otherwise(0)).alias("chars"),
            F.sum((~F.col("empty") & (F.col("u") < cfg.heldout.fraction)).cast("long")).alias(
                "below"
            ),
        )
        .collect()
    )


def _with_heldout(docs: DataFrame, stats: list, cfg: TokenizeConfig) -> tuple[DataFrame, dict]:
    """Documents with the ``heldout`` column, and held-out counts per source."""
    per_source: dict[str, int] = {}
    below: dict[str, int] = {}
    for row in stats:
        per_source[row["source"]] = per_source.get(row["source"], 0) + row["n"] - row["empty"]
        below[row["source"]] = below.get(row["source"], 0) + row["below"]
    limits, heldout_counts = thresholds(
        docs.filter(~F.col("empty")), per_source, below, cfg.heldout
    )
    return docs.withColumn("heldout", ~F.col("empty") & is_heldout(limits)), heldout_counts


def _training_rows(ctx: StageContext, docs: DataFrame, stats: list) -> tuple[DataFrame, int, int]:
    """Training documents cut into parts of about ``part_chars`` characters per stream, each
    (stream, part) group on one task and in a fixed order; (rows, tasks, groups)."""
    cfg: TokenizeConfig = ctx.config
    chars: dict[str, int] = {}
    for row in stats:
        chars[row["stream"]] = chars.get(row["stream"], 0) + int(row["chars"] or 0)
    parts = {s: max(1, math.ceil(c / cfg.part_chars)) for s, c in sorted(chars.items())}
    parts_of = F.element_at(
        F.create_map(*[F.lit(x) for kv in parts.items() for x in kv]), F.col("stream")
    )
    weights = {(s, p): chars[s] / k for s, k in parts.items() for p in range(k)}
    tasks = min(len(weights), cfg.tasks or ctx.spark.sparkContext.defaultParallelism) or 1
    key_of = group_keys(ctx.spark, weights, tasks)
    task_key = F.element_at(
        F.create_map(*[F.lit(x) for (s, p), key in key_of.items() for x in (f"{s}/{p}", key)]),
        F.concat_ws("/", "stream", "part"),
    )
    train = (
        docs.filter(~F.col("empty") & ~F.col("heldout"))
        .withColumn("order_key", _order_hash())
        .withColumn(
            "part",
            F.pmod(F.conv(F.substring("order_key", 1, 8), 16, 10).cast("long"), parts_of).cast(
                "int"
            ),
        )
        .withColumn("task", task_key.cast("long"))  # the type group_keys hashed
        .repartition(tasks, "task")
        .sortWithinPartitions("stream", "part", "order_key", "doc_id")
        .select("stream", "part", "source", "text")
    )
    return train, tasks, len(weights)


def _side_rows(docs: DataFrame, stats: list, heldout_counts: dict) -> DataFrame:
    """Rejected (empty) and held-out documents. They are few: one scan of the input feeds both
    tables, and none when the statistics show that there are none."""
    if sum(int(row["empty"]) for row in stats) + sum(heldout_counts.values()):
        return docs.filter("empty OR heldout").persist(StorageLevel.MEMORY_AND_DISK)
    return docs.limit(0)


def run(ctx: StageContext) -> StageOutput:
    """Statistics and held-out split, packing on the executors, the shard set's manifest and
    artifact, then the rejects, held-out and token-count tables."""
    cfg: TokenizeConfig = ctx.config
    clock = [time.perf_counter()]
    docs = _input(ctx)
    root = shard_root(ctx)
    out, leftovers = fresh_version_dir(root, ctx.run_id)  # killed runs' partial folders go
    for path in leftovers:
        ctx.progress(f"removed {os.path.basename(path)}: left by a killed run", None)
    spec, tok_meta = _pack_spec(ctx, out)
    docs = _annotated(docs, cfg)
    stats = _stats(docs, cfg)
    docs, heldout_counts = _with_heldout(docs, stats, cfg)
    train, tasks, groups = _training_rows(ctx, docs, stats)
    clock.append(time.perf_counter())
    with track_progress(ctx.spark, STAGE, ctx.progress, tasks, f"tasks ({groups} groups)"):
        results = [
            r.asDict() for r in train.mapInArrow(pack_partition(spec), RESULT_SCHEMA).collect()
        ]
    clock.append(time.perf_counter())
    manifest, counts = finish_shard_set(
        spec, results, stats, heldout_counts, cfg, tok_meta, ctx.inputs[cfg.input_table]
    )
    manifest.update(run_id=ctx.run_id, name=cfg.name)
    write_manifest(out, manifest)
    artifact = ArtifactRegistry(ctx.lakehouse).register(
        f"mds-{cfg.name}",
        "mds",
        out,
        manifest=manifest,
        run_id=ctx.run_id,
        stage=STAGE,
        content_hash=content_hash(manifest),
    )

    def verify(written: dict[str, TableVersion]) -> None:
        mark_latest(root, out)

    clock.append(time.perf_counter())
    report = {
        "timings_s": dict(zip(TIMINGS, np.diff(clock).tolist(), strict=True)),
        "artifact": f"{artifact.name}@{artifact.version}",
        "shards": out,
        "tokens": counts["tokens"],
        "dropped_share": manifest["tokens_dropped_share"],
        "markdown": _markdown(manifest, artifact.name, artifact.version),
    }
    side = _side_rows(docs, stats, heldout_counts)
    return StageOutput(
        writes=[
            TableWrite(
                REJECTS, rejects_frame(side, ctx.run_id), replace_where=f"stage = '{STAGE}'"
            ),
            TableWrite(HELDOUT, heldout_frame(side), partition_by=("source",)),
            TableWrite(TOKEN_COUNTS, token_counts_frame(ctx, manifest, artifact)),
        ],
        counts=counts,
        report=report,
        verify=verify,
        artifacts=[artifact.ref],
        persisted=[side],
    )


def _markdown(manifest: dict, name: str, version: int) -> str:
    lines = [
        f"# Tokenize: artifact `{name}@{version}`",
        "",
        f"{manifest['tokens_written']:,} tokens in {manifest['sequences']:,} sequences of "
        f"{manifest['seq_len']} ({manifest['dtype']}); dropped at stream ends: "
        f"{manifest['tokens_dropped']:,} ({manifest['tokens_dropped_share']:.4%}).",
        "",
        "| stream | sequences | shards | sources |",
        "|---|---:|---:|---|",
    ]
    for stream, s in sorted(manifest["streams"].items()):
        sources = ", ".join(f"{k} ({v['tokens']:,} tok)" for k, v in sorted(s["sources"].items()))
        lines.append(f"| {stream} | {s['sequences']:,} | {len(s['shards'])} | {sources} |")
    return "\n".join(lines)


SPEC = register_stage(
    StageSpec(
        name=STAGE,
        config_model=TokenizeConfig,
        run=run,
        inputs=_inputs,
        outputs=(TOKEN_COUNTS, HELDOUT, REJECTS),
        description="tokenise, pack and write MDS shards; held-out split; token counts",
        config_view=config_view,
    )
)
