"""SFT tokenize: prompt/response or chat records -> MDS examples with a response-only loss mask.

Input, exactly one of: ``input_table`` (a Delta table with ``messages`` or ``prompt`` and
``response`` columns, optional ``source``), ``path`` (JSONL files, one record a line; relative
to the project file) or ``sample: wiki_qa`` (the packaged sample,
``data_pipeline.tokenize.sft_samples``).
Records are rendered with the tokenizer's chat template (``format: chat``, the default) and
masked so that only assistant tokens are trained on (``data_pipeline.tokenize.sft``). Malformed and
over-length records go to ``quarantine`` with their reason. Output: an MDS shard set
``<artifacts>/mds/<name>/v<run_id>/<source>/`` (columns ``tokens``, ``loss_mask`` and, when
packed, ``sequence_id``; see ``data_pipeline.tokenize.sft_packing`` about attention across packed
examples), registered as artifact ``mds-<name>``.

Counts: ``input = kept + quarantined`` records, ``quarantined.<reason>``, ``tokens``,
``response_tokens``, ``sequences``, per source ``source.<name>.*``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.funnel import Funnel
from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.artifacts import ArtifactRegistry
from data_pipeline.lakehouse.config import ConfigError, StrictModel, resolve_path
from data_pipeline.lakehouse.names import TableName
from data_pipeline.lakehouse.schemas import QUARANTINE as QUARANTINE_SCHEMA
from data_pipeline.lakehouse.tables import QUARANTINE, TableVersion, TableWrite
from data_pipeline.lakehouse.tokenizer import (
    resolve_tokenizer,
    token_dtype,
    tokenizer_info,
    tokenizer_json_path,
)
from data_pipeline.stages.registry import StageContext, StageOutput, StageSpec, register_stage
from data_pipeline.tokenize.mds_sets import (
    content_hash,
    fresh_version_dir,
    mark_latest,
    merge_stream,
    set_root,
    write_manifest,
)
from data_pipeline.tokenize.sft import SftSpec
from data_pipeline.tokenize.sft_packing import RESULT_SCHEMA, columns, sft_partition
from data_pipeline.tokenize.sft_samples import wiki_qa_records

STAGE = "sft_tokenize"


class SftTokenizeConfig(StrictModel):
    """SFT data. ``max_tokens`` per example (and per packed sample); longer ones quarantined."""

    input_table: TableName | None = None
    path: str | None = None
    sample: Literal["wiki_qa"] | None = None
    sample_size: int = Field(default=2000, ge=1)
    source: str = Field(default="sft", description="source name of path inputs")
    name: str = Field(default="sft", pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    tokenizer: str | None = None
    format: Literal["chat", "plain"] = "chat"
    system_prompt: str | None = None
    separator: str = "\n\n"
    max_tokens: int = Field(default=2048, ge=16)
    pack: bool = False
    token_dtype: Literal["auto", "uint16", "int32"] = "auto"
    parts: int = Field(default=4, ge=1, description="Spark groups (MDS parts) per source")
    compression: str | None = "zstd"
    hashes: list[str] = Field(default_factory=lambda: ["sha1", "xxh64"])

    @model_validator(mode="after")
    def _one_input(self) -> SftTokenizeConfig:
        given = [k for k in ("input_table", "path", "sample") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"give exactly one of input_table, path, sample (got {given})")
        return self


def _inputs(cfg: SftTokenizeConfig) -> tuple[str, ...]:
    return (cfg.input_table,) if cfg.input_table else ()


def _base(ctx: StageContext) -> Path:
    return Path(ctx.project.origin).parent if ctx.project.origin != "<memory>" else Path.cwd()


def _listed(ctx: StageContext) -> list[storage.FileInfo]:
    pattern = resolve_path(_base(ctx), ctx.config.path)
    files = storage.list_files(pattern)
    if not files:
        raise FileNotFoundError(f"sft_tokenize: no file matches {pattern}")
    return files


def _files(ctx: StageContext) -> list[str]:
    return [f.path for f in _listed(ctx)]


def _tokenizer(ctx: StageContext) -> Path:
    cfg = ctx.config
    spec = resolve_path(_base(ctx), cfg.tokenizer) if cfg.tokenizer else None
    return resolve_tokenizer(spec, ctx.project.artifacts)


def fingerprint(ctx: StageContext) -> list:
    if ctx.config.path:
        return [(f.path, f.size, f.version) for f in _listed(ctx)]
    return []


def config_view(ctx: StageContext) -> dict:
    return {
        "sft_tokenize": ctx.config.model_dump(mode="json"),
        "tokenizer_sha256": tokenizer_info(_tokenizer(ctx)).sha256,
    }


def records(ctx: StageContext) -> DataFrame:
    """Columns ``source``, ``raw`` (the record as JSON text), ``file``, ``location``."""
    cfg: SftTokenizeConfig = ctx.config
    spark = ctx.spark
    schema = "source string, raw string, file string, location string"
    if cfg.sample:
        rows = [
            (r["source"], json.dumps(r, ensure_ascii=False), f"sample:{cfg.sample}", r["id"])
            for r in wiki_qa_records(cfg.sample_size)
        ]
        return spark.createDataFrame(rows, schema)
    if cfg.path:
        lines = spark.read.text(_files(ctx)).filter(F.length(F.trim("value")) > 0)
        return lines.select(
            F.lit(cfg.source).alias("source"),
            F.col("value").alias("raw"),
            F.col("_metadata.file_path").alias("file"),
            F.concat(F.lit("sha256:"), F.substring(F.sha2("value", 256), 1, 16)).alias("location"),
        )
    name = cfg.input_table
    if name is None:
        raise ConfigError("stages.sft_tokenize: give exactly one of input_table, path, sample")
    table = ctx.read(name)
    source = F.col("source") if "source" in table.columns else F.lit(name)
    body = [c for c in table.columns if c != "source"]
    raw = F.to_json(F.struct(*body))
    ident = next((c for c in ("id", "doc_id") if c in table.columns), None)
    location = F.col(ident).cast("string") if ident else F.substring(F.sha2(raw, 256), 1, 16)
    return table.select(
        source.alias("source"),
        raw.alias("raw"),
        F.lit(str(ctx.inputs[name])).alias("file"),
        location.alias("location"),
    )


def run(ctx: StageContext) -> StageOutput:
    cfg: SftTokenizeConfig = ctx.config
    tok_path = _tokenizer(ctx)
    info = tokenizer_info(tok_path)
    folder = tok_path if tok_path.is_dir() else tok_path.parent
    template = folder / "chat_template.jinja"
    chat_template = template.read_text("utf-8") if template.is_file() else None
    if chat_template is None and (folder / "tokenizer_config.json").is_file():
        chat_template = json.loads((folder / "tokenizer_config.json").read_text()).get(
            "chat_template"
        )
    if cfg.format == "chat" and not chat_template:
        raise ConfigError(f"sft_tokenize: {tok_path} has no chat template; use format: plain")
    spec = SftSpec(
        tokenizer_json=tokenizer_json_path(tok_path).read_text("utf-8"),
        chat_template=chat_template,
        eos_token=info.eos_token or "",
        format=cfg.format,
        system_prompt=cfg.system_prompt,
        separator=cfg.separator,
        max_tokens=cfg.max_tokens,
    )
    dtype = token_dtype(cfg.token_dtype, info.vocab_size)
    root = set_root(ctx.project.artifacts, cfg.name)
    out, leftovers = fresh_version_dir(root, ctx.run_id)  # killed runs' partial folders go
    for path in leftovers:
        ctx.progress(f"removed {os.path.basename(path)}: left by a killed run", None)
    recs = records(ctx).withColumn(
        "record_key", F.sha2(F.concat_ws("\u0000", "location", "raw"), 256)
    )
    bucket = F.conv(F.substring("record_key", 1, 8), 16, 10).cast("long")
    grouped = (
        recs.withColumn("stream", F.regexp_replace("source", r"[^A-Za-z0-9_.\-]", "_"))
        .withColumn("part", F.pmod(bucket, F.lit(cfg.parts)).cast("int"))
        .repartition(cfg.parts, "stream", "part")
        .sortWithinPartitions("stream", "part", "record_key")
        .select("stream", "part", "source", "raw", "file", "location")
    )
    opts = {
        "columns": columns(dtype, cfg.pack),
        "compression": cfg.compression,
        "hashes": sorted(cfg.hashes),
    }
    worker = sft_partition(spec, out, dtype, cfg.pack, opts)
    results = [r.asDict() for r in grouped.mapInArrow(worker, RESULT_SCHEMA).collect()]
    manifest, counts = _finish(out, results, cfg, dtype, info)
    manifest.update(run_id=ctx.run_id, name=cfg.name, input=_input_ref(ctx))
    write_manifest(out, manifest)
    artifact = ArtifactRegistry(ctx.lakehouse).register(
        f"mds-{cfg.name}",
        "mds-sft",
        out,
        manifest=manifest,
        run_id=ctx.run_id,
        stage=STAGE,
        content_hash=content_hash(manifest),
    )
    quarantined = [r for r in results if r["kind"] == "quarantine"]
    keys = ("source", "file", "location", "reason", "error", "raw")
    rows = [
        (STAGE, *(r[k] for k in keys), ctx.run_id)
        for r in sorted(quarantined, key=lambda r: (r["source"], r["location"]))
    ]

    def verify(written: dict[str, TableVersion]) -> None:
        mark_latest(root, out)

    return StageOutput(
        writes=[
            TableWrite(
                QUARANTINE,
                ctx.spark.createDataFrame(rows, QUARANTINE_SCHEMA),
                replace_where=f"stage = '{STAGE}'",
            )
        ],
        counts=counts,
        report={"artifact": f"{artifact.name}@{artifact.version}", "shards": str(out)},
        verify=verify,
        artifacts=[artifact.ref],
    )


def _input_ref(ctx: StageContext) -> dict:
    cfg = ctx.config
    if cfg.input_table:
        ref = ctx.inputs[cfg.input_table]
        return {"table": ref.table, "version": ref.version}
    return {"path": _files(ctx)} if cfg.path else {"sample": cfg.sample, "n": cfg.sample_size}


def _finish(out: str, results: list[dict], cfg, dtype: str, info) -> tuple[dict, dict[str, int]]:
    funnel = Funnel(STAGE, outcomes=("kept", "quarantined"))
    for key in ("tokens", "response_tokens", "sequences"):
        funnel.extra(key, 0)
    streams: dict[str, dict] = {}
    for r in results:
        source = r["source"]
        if r["kind"] == "quarantine":
            funnel.add(source, "quarantined", 1, reason=r["reason"])
        elif r["kind"] == "source":
            s = streams.setdefault(r["stream"], {"sequences": 0, "examples": 0, "tokens": 0})
            s["examples"] += r["examples"]
            s["tokens"] += r["tokens"]
            funnel.add(source, "kept", r["examples"])
            funnel.extra("tokens", r["tokens"])
            funnel.extra("response_tokens", r["response_tokens"])
            funnel.extra(f"source.{source}.tokens", r["tokens"])
        else:
            s = streams.setdefault(r["stream"], {"sequences": 0, "examples": 0, "tokens": 0})
            s["sequences"] += r["sequences"]
            funnel.extra("sequences", r["sequences"])
    for stream, s in streams.items():
        s["shards"] = merge_stream(storage.join(out, stream))
        if sum(x["samples"] for x in s["shards"]) != s["sequences"]:
            raise RuntimeError(f"sft_tokenize: stream {stream!r}: index and writers disagree")
    funnel.check()
    counts = funnel.as_counts()
    manifest = {
        "format": "ladder-mds-sft/1",
        "columns": columns(dtype, cfg.pack),
        "dtype": dtype,
        "max_tokens": cfg.max_tokens,
        "pack": cfg.pack,
        "cross_example_attention": "blocked only by models that use sequence_id"
        if cfg.pack
        else "none (one example per sample)",
        "chat_format": cfg.format,
        "tokenizer": {"path": info.path, "sha256": info.sha256, "vocab_size": info.vocab_size},
        "streams": dict(sorted(streams.items())),
        "examples": counts["kept"],
        "tokens": counts["tokens"],
        "response_tokens": counts["response_tokens"],
    }
    return manifest, counts


SPEC = register_stage(
    StageSpec(
        name=STAGE,
        config_model=SftTokenizeConfig,
        run=run,
        inputs=_inputs,
        outputs=(QUARANTINE,),
        description="SFT records -> chat-formatted, loss-masked MDS examples; bad ones quarantined",
        config_view=config_view,
        fingerprint=fingerprint,
    )
)
