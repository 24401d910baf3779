"""What the tokenize stage writes besides the shards: manifest, counts and its Delta tables.

``finish_shard_set`` packs the tails, merges each stream's index, checks that no document and
no token went missing, and returns the manifest and the run counts.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from data_pipeline.funnel import Funnel
from data_pipeline.lakehouse import schemas, storage
from data_pipeline.lakehouse.tables import TableVersion
from data_pipeline.tokenize.mds_sets import merge_stream
from data_pipeline.tokenize.packing import PackSpec, write_tails

HELDOUT = "heldout_docs"
TOKEN_COUNTS = "token_counts"
FORMAT = "ladder-mds/1"

HELDOUT_SCHEMA = StructType(
    [
        *schemas.DOCUMENT_FIELDS,
        StructField("lang", StringType(), True),
        StructField("quality_score", DoubleType(), True),
    ]
)
TOKEN_COUNTS_SCHEMA = StructType(
    [
        StructField("stream", StringType(), False),
        StructField("source", StringType(), False),
        StructField("docs", LongType(), False),
        StructField("tokens", LongType(), False),
        StructField("stream_sequences", LongType(), False),
        StructField("stream_tokens_dropped", LongType(), False),
        StructField("seq_len", LongType(), False),
        StructField("tokenizer_sha256", StringType(), False),
        StructField("artifact", StringType(), False),
        StructField("input_table", StringType(), False),
        StructField("input_version", LongType(), False),
        StructField("run_id", StringType(), False),
    ]
)


def finish_shard_set(
    spec: PackSpec,
    results: list[dict],
    stats: list,
    heldout: dict[str, int],
    cfg,
    tokenizer: dict,
    input_version: TableVersion,
) -> tuple[dict, dict[str, int]]:
    """Tails, merged indexes, conservation checks; returns (manifest, counts)."""
    groups: dict[str, list[dict]] = {}
    sources: dict[str, dict[str, dict[str, int]]] = {}
    for r in results:
        if r["kind"] == "group":
            groups.setdefault(r["stream"], []).append(r)
        else:
            entry = sources.setdefault(r["stream"], {}).setdefault(
                r["source"], {"docs": 0, "tokens": 0}
            )
            entry["docs"] += r["docs"]
            entry["tokens"] += r["tokens"]
    itemsize = 2 if spec.dtype == "uint16" else 4
    streams = {}
    for stream in sorted(groups):
        parts = sorted(groups[stream], key=lambda g: g["part"])
        tails = [g["tail"] or b"" for g in parts]
        if cfg.tails == "carry":
            tail_sequences, dropped = write_tails(spec, stream, tails)
        else:
            tail_sequences, dropped = 0, sum(len(t) for t in tails) // itemsize
        shards = merge_stream(storage.join(spec.out, stream))
        sequences = sum(g["sequences"] for g in parts) + tail_sequences
        tokens = sum(s["tokens"] for s in sources[stream].values())
        if sum(s["samples"] for s in shards) != sequences or (
            sequences * spec.seq_len + dropped != tokens
        ):
            raise RuntimeError(
                f"tokenize: stream {stream!r} does not add up: {tokens} tokens, {sequences} "
                f"sequences of {spec.seq_len}, {dropped} dropped, index {len(shards)} shards"
            )
        streams[stream] = {
            "sequences": sequences,
            "tokens_dropped": dropped,
            "shards": shards,
            "sources": dict(sorted(sources[stream].items())),
        }
    counts = _counts(streams, stats, heldout)
    written = sum(s["sequences"] for s in streams.values()) * spec.seq_len
    manifest = {
        "format": FORMAT,
        "seq_len": spec.seq_len,
        "dtype": spec.dtype,
        "columns": spec.columns,
        "compression": spec.compression,
        "hashes": list(spec.hashes),
        "add_bos": spec.bos_id is not None,
        "tails": cfg.tails,
        "tokenizer": tokenizer,
        "input": {"table": input_version.table, "version": input_version.version},
        "heldout": {**cfg.heldout.model_dump(mode="json"), "docs": dict(sorted(heldout.items()))},
        "streams": streams,
        "sequences": counts["sequences"],
        "tokens": counts["tokens"],
        "tokens_written": written,
        "tokens_dropped": counts["tokens.dropped"],
        "tokens_dropped_share": counts["tokens.dropped"] / max(1, counts["tokens"]),
    }
    return manifest, counts


def _counts(streams: dict, stats: list, heldout: dict[str, int]) -> dict[str, int]:
    """Documents per source (input = kept + heldout + rejected, checked) and tokens."""
    funnel = Funnel("tokenize", outcomes=("kept", "heldout", "rejected"))
    for row in stats:
        funnel.add(row["source"], "input", row["n"])
        funnel.add(row["source"], "rejected", row["empty"] or 0, "tokenize", "empty_text")
    for source in sorted({row["source"] for row in stats}):
        funnel.add(source, "heldout", heldout.get(source, 0))
    for stream, s in streams.items():
        funnel.extra(f"stream.{stream}.sequences", s["sequences"])
        funnel.extra("tokens.dropped", s["tokens_dropped"])
        funnel.extra("sequences", s["sequences"])
        funnel.extra("shards", len(s["shards"]))
        for source, v in s["sources"].items():
            funnel.add(source, "kept", v["docs"])
            funnel.extra(f"source.{source}.tokens", v["tokens"])
            funnel.extra("tokens", v["tokens"])
    funnel.check()
    counts = funnel.as_counts()
    counts.setdefault("tokens", 0)
    counts.setdefault("tokens.dropped", 0)
    counts["tokens.written"] = counts["tokens"] - counts["tokens.dropped"]
    counts["streams"] = len(streams)
    return counts


def heldout_frame(docs: DataFrame) -> DataFrame:
    """Held-out documents with the document columns, plus lang and quality_score if present."""
    cols = []
    for field in HELDOUT_SCHEMA.fields:
        if field.name in docs.columns:
            cols.append(F.col(field.name).cast(field.dataType))
        else:
            cols.append(F.lit(None).cast(field.dataType).alias(field.name))
    return docs.filter("heldout").select(cols)


def rejects_frame(docs: DataFrame, run_id: str) -> DataFrame:
    url = F.col("url_or_path") if "url_or_path" in docs.columns else F.lit(None).cast("string")
    return docs.filter("empty").select(
        "doc_id",
        "source",
        F.lit("tokenize").alias("stage"),
        F.lit("tokenize").alias("filter"),
        F.lit("empty_text").alias("reason"),
        F.lit(None).cast("double").alias("score"),
        F.lit(None).cast("string").alias("cluster_id"),
        F.col("text"),
        url.alias("url_or_path"),
        F.lit(run_id).alias("run_id"),
    )


def token_counts_frame(ctx, manifest: dict, artifact) -> DataFrame:
    rows = [
        (
            stream,
            source,
            v["docs"],
            v["tokens"],
            s["sequences"],
            s["tokens_dropped"],
            manifest["seq_len"],
            manifest["tokenizer"]["sha256"],
            f"{artifact.name}@{artifact.version}",
            manifest["input"]["table"],
            manifest["input"]["version"],
            ctx.run_id,
        )
        for stream, s in sorted(manifest["streams"].items())
        for source, v in sorted(s["sources"].items())
    ]
    return ctx.spark.createDataFrame(rows, TOKEN_COUNTS_SCHEMA)
