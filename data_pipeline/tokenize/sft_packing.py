"""Spark worker of the ``sft_tokenize`` stage: records -> MDS examples with a loss mask.

Input rows (``stream``, ``part``, ``source``, ``raw``, ``file``, ``location``) arrive sorted by
group and record id. Each record becomes ``tokens`` (``ndarray:<dtype>``) and ``loss_mask``
(``ndarray:uint8``, 1 on response tokens), one example per MDS sample, unpadded. With ``pack``
several whole examples share a sample of at most ``max_tokens`` tokens (greedy, in order) and
``sequence_id`` (``ndarray:uint8``, the example's index in the sample) marks where each begins.

About attention across packed examples: ``sequence_id`` lets a model that supports it (e.g.
llm-foundry MPT's ``attn_uses_sequence_id``, or flash-attention varlen kernels) block
attention between examples; a plain causal model (Hugging Face Llama, as ladder trains it)
ignores it, so packed examples do attend to the earlier examples of their sample. The loss is
still only on response tokens. Packing is therefore off by default.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pyarrow as pa

from data_pipeline.lakehouse import storage
from data_pipeline.tokenize.mds_writer import ShardWriter
from data_pipeline.tokenize.packing import INDEX, part_name, staging_dir
from data_pipeline.tokenize.sft import Renderer, SftError, SftSpec

ARROW_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("stream", pa.string()),
        ("part", pa.int32()),
        ("source", pa.string()),
        ("examples", pa.int64()),
        ("sequences", pa.int64()),
        ("tokens", pa.int64()),
        ("response_tokens", pa.int64()),
        ("file", pa.string()),
        ("location", pa.string()),
        ("reason", pa.string()),
        ("error", pa.string()),
        ("raw", pa.string()),
    ]
)
RESULT_SCHEMA = ", ".join(
    f"{f.name} {'int' if f.type == pa.int32() else 'long' if f.type == pa.int64() else 'string'}"
    for f in ARROW_SCHEMA
)


def columns(dtype: str, pack: bool) -> dict[str, str]:
    cols = {"tokens": f"ndarray:{dtype}", "loss_mask": "ndarray:uint8"}
    if pack:
        cols["sequence_id"] = "ndarray:uint8"
    return cols


class _Writer:
    """The MDS writer of one (stream, part), and the examples waiting to be packed."""

    def __init__(self, out: str, stream: str, part: int, attempt: int, opts: dict, dtype: str):
        self.final = storage.join(out, stream, part_name(part))
        self.staging = staging_dir(self.final, attempt)
        shutil.rmtree(self.staging, ignore_errors=True)
        self.writer = ShardWriter(self.staging, **opts)
        self.dtype = dtype
        self.sequences = 0
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.pending_tokens = 0

    def write(self, ids: np.ndarray, mask: np.ndarray) -> None:
        self.writer.write({"tokens": ids.astype(self.dtype), "loss_mask": mask})
        self.sequences += 1

    def add_packed(self, ids: np.ndarray, mask: np.ndarray, max_tokens: int) -> None:
        """Queue an example; first flush the queue if the example would not fit."""
        if self.pending and (
            self.pending_tokens + len(ids) > max_tokens or len(self.pending) > 254
        ):
            self.flush_packed()
        self.pending.append((ids, mask))
        self.pending_tokens += len(ids)

    def flush_packed(self) -> None:
        if not self.pending:
            return
        self.writer.write(
            {
                "tokens": np.concatenate([x for x, _ in self.pending]).astype(self.dtype),
                "loss_mask": np.concatenate([m for _, m in self.pending]),
                "sequence_id": np.concatenate(
                    [np.full(len(x), i, np.uint8) for i, (x, _) in enumerate(self.pending)]
                ),
            }
        )
        self.sequences += 1
        self.pending, self.pending_tokens = [], 0

    def close(self) -> None:
        self.flush_packed()
        self.writer.finish()
        storage.publish_tree(self.staging, self.final, last=(INDEX,))


def sft_partition(spec: SftSpec, out: str, dtype: str, pack: bool, opts: dict):
    """The ``mapInArrow`` function of the SFT stage."""

    def run(batches):
        from pyspark import TaskContext

        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        renderer = Renderer(spec)
        ctx = TaskContext.get()
        attempt = ctx.taskAttemptId() if ctx else os.getpid()
        rows: list[dict] = []
        writer: _Writer | None = None
        key = None
        stats: dict[str, list[int]] = {}

        def flush_group() -> None:
            if writer is None:
                return
            writer.close()
            for source, (n, tok, resp) in sorted(stats.items()):
                rows.append(_row("source", key, source, examples=n, tokens=tok, resp=resp))
            rows.append(_row("group", key, None, sequences=writer.sequences))

        for batch in batches:
            for r in batch.to_pylist():
                if (r["stream"], r["part"]) != key:
                    flush_group()
                    key, stats = (r["stream"], r["part"]), {}
                    writer = _Writer(out, r["stream"], r["part"], attempt, opts, dtype)
                try:
                    ids, mask = renderer.example(r["raw"])
                except SftError as err:
                    rows.append(_quarantine(key, r, err.reason, str(err)))
                    continue
                except Exception as err:  # a template or tokenizer error on this record only
                    rows.append(_quarantine(key, r, "render_error", f"{type(err).__name__}: {err}"))
                    continue
                entry = stats.setdefault(r["source"], [0, 0, 0])
                entry[0] += 1
                entry[1] += len(ids)
                entry[2] += int(mask.sum())
                if pack:
                    writer.add_packed(ids, mask, spec.max_tokens)
                else:
                    writer.write(ids, mask)
        flush_group()
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=ARROW_SCHEMA)

    return run


def _row(kind, key, source, examples=0, sequences=0, tokens=0, resp=0) -> dict:
    return {
        "kind": kind,
        "stream": key[0],
        "part": key[1],
        "source": source,
        "examples": examples,
        "sequences": sequences,
        "tokens": tokens,
        "response_tokens": resp,
    }


def _quarantine(key, r: dict, reason: str, error: str) -> dict:
    row = _row("quarantine", key, r["source"])
    row.update(
        file=r["file"],
        location=r["location"],
        reason=reason,
        error=error[:1000],
        raw=r["raw"][:1024],
    )
    return row
