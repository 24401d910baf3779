"""Tokenise and pack documents into fixed-length MDS sequences, one writer per Spark group.

``pack_partition(spec)`` is a ``mapInArrow`` function. Its input rows (``stream``, ``part``,
``source``, ``text``) arrive sorted by group (stream, part) and then by a hash of the document
id, so the output is the same whatever the cluster. Per partition the fast Rust tokenizer is
built once and encodes whole Arrow batches (``encode_batch_fast``, no special tokens); every
document is followed by EOS (and preceded by BOS when asked). Tokens of a group are concatenated
and cut into sequences of ``seq_len`` tokens with no padding, written in streaming's MDS format
(``tokens: ndarray:<dtype>``; ``data_pipeline.tokenize.mds_writer``, byte-identical to
``MDSWriter``'s output without importing torch in every worker) to
``<out>/<stream>/part-<part>``; the last ``< seq_len`` tokens of a group (its tail) are returned
to the driver, which packs the tails of all groups of a stream together (``write_tails``), so at
most ``seq_len - 1`` tokens per stream are lost.

Output rows: one ``group`` row per group (sequences, tail bytes) and one ``source`` row per
(group, source) with its documents and tokens (EOS/BOS included).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.tokenizer import join_documents
from data_pipeline.tokenize.mds_writer import ShardWriter

RESULT_SCHEMA = (
    "kind string, stream string, part int, source string, docs long, tokens long, "
    "sequences long, tail binary"
)
TAIL_PART = "part-tail"
INDEX = "index.json"
ARROW_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("stream", pa.string()),
        ("part", pa.int32()),
        ("source", pa.string()),
        ("docs", pa.int64()),
        ("tokens", pa.int64()),
        ("sequences", pa.int64()),
        ("tail", pa.binary()),
    ]
)


@dataclass(frozen=True)
class PackSpec:
    """Everything a worker needs; the tokenizer travels as its JSON text (no shared disk)."""

    tokenizer_json: str
    eos_id: int
    bos_id: int | None
    seq_len: int
    dtype: str
    out: str
    compression: str | None = "zstd"
    hashes: tuple[str, ...] = ("sha1", "xxh64")
    size_limit: int = 1 << 26
    threads: int = 1

    @property
    def columns(self) -> dict[str, str]:
        return {"tokens": f"ndarray:{self.dtype}"}

    def writer(self, out: str) -> ShardWriter:
        return ShardWriter(out, self.columns, self.compression, self.hashes, self.size_limit)


def part_name(part: int) -> str:
    return f"part-{part:05d}"


def staging_dir(final: str, attempt: int | str) -> str:
    """Where a task attempt writes a part before publishing it: beside it on a local disk
    (published by rename), in the worker's temp folder for an object store (by upload)."""
    if storage.is_remote(final):
        return tempfile.mkdtemp(prefix=f"ladder-{storage.basename(final)}-")
    parent, name = os.path.split(storage.local_path(final))
    return os.path.join(parent, f".{name}.attempt-{attempt}")


class _Group:
    """The open writer, carried tokens and per-source counts of one (stream, part)."""

    def __init__(self, spec: PackSpec, stream: str, part: int, attempt: int):
        self.spec, self.stream, self.part = spec, stream, part
        self.final = storage.join(spec.out, stream, part_name(part))
        self.staging = staging_dir(self.final, attempt)
        shutil.rmtree(self.staging, ignore_errors=True)
        self.writer = spec.writer(self.staging)
        self.carry = np.zeros(0, spec.dtype)
        self.sequences = 0
        self.sources: dict[str, list[int]] = {}

    def add(self, tokens: np.ndarray) -> None:
        buffer = np.concatenate([self.carry, tokens]) if len(self.carry) else tokens
        n, length = len(buffer) // self.spec.seq_len, self.spec.seq_len
        for i in range(n):
            self.writer.write({"tokens": buffer[i * length : (i + 1) * length]})
        self.sequences += n
        self.carry = buffer[n * length :].copy()

    def close(self) -> list[tuple]:
        self.writer.finish()
        storage.publish_tree(self.staging, self.final, last=(INDEX,))
        rows: list[tuple] = [
            ("group", self.stream, self.part, None, 0, 0, self.sequences, self.carry.tobytes())
        ]
        for source, (docs, tokens) in sorted(self.sources.items()):
            rows.append(("source", self.stream, self.part, source, docs, tokens, 0, None))
        return rows


def encode_documents(tokenizer, texts: list[str], spec: PackSpec) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of ``texts`` with separators, concatenated, and the length of each document."""
    encodings = tokenizer.encode_batch_fast(texts, add_special_tokens=False)
    return join_documents([e.ids for e in encodings], spec.eos_id, spec.bos_id, spec.dtype)


_TOKENIZERS: dict[str, object] = {}


def _worker_tokenizer(tokenizer_json: str):
    """One tokenizer per Python worker process and tokenizer (Spark reuses workers).

    Parsing a 3.5 MB tokenizer.json costs ~0.3 s, and a reused tokenizer keeps its warm BPE
    word cache, so later partitions of the same worker skip both.
    """
    from tokenizers import Tokenizer

    key = hashlib.sha256(tokenizer_json.encode()).hexdigest()
    if key not in _TOKENIZERS:
        _TOKENIZERS.clear()
        _TOKENIZERS[key] = Tokenizer.from_str(tokenizer_json)
    return _TOKENIZERS[key]


def pack_partition(spec: PackSpec):
    """The ``mapInArrow`` function: tokenise, pack, write MDS; yield result rows.

    The tokenizer is built at most once per Python worker process (so once per partition or
    less) and encodes whole Arrow batches.
    """

    def run(batches):
        from pyspark import TaskContext

        os.environ["TOKENIZERS_PARALLELISM"] = "true" if spec.threads > 1 else "false"
        os.environ["RAYON_NUM_THREADS"] = str(spec.threads)
        tokenizer = _worker_tokenizer(spec.tokenizer_json)
        attempt = TaskContext.get().taskAttemptId() if TaskContext.get() else os.getpid()
        group: _Group | None = None
        rows: list[tuple] = []
        for batch in batches:
            streams = batch.column("stream").to_pylist()
            parts = batch.column("part").to_pylist()
            sources = batch.column("source").to_pylist()
            texts = batch.column("text").to_pylist()
            start = 0
            while start < len(texts):
                key = (streams[start], parts[start])
                end = start
                while end < len(texts) and (streams[end], parts[end]) == key:
                    end += 1
                if group is None or (group.stream, group.part) != key:
                    if group is not None:
                        rows += group.close()
                    group = _Group(spec, key[0], key[1], attempt)
                flat, lengths = encode_documents(tokenizer, texts[start:end], spec)
                for source, n in zip(sources[start:end], lengths.tolist(), strict=True):
                    counts = group.sources.setdefault(source, [0, 0])
                    counts[0] += 1
                    counts[1] += n
                group.add(flat)
                start = end
        if group is not None:
            rows += group.close()
        if rows:
            names = ARROW_SCHEMA.names
            yield pa.RecordBatch.from_pylist(
                [dict(zip(names, r, strict=True)) for r in rows], schema=ARROW_SCHEMA
            )

    return run


def write_tails(spec: PackSpec, stream: str, tails: list[bytes]) -> tuple[int, int]:
    """Pack the groups' tails of one stream (in part order) into ``part-tail``.

    Returns (sequences written, tokens dropped: the final remainder, < seq_len).
    """
    tokens = np.concatenate([np.frombuffer(t, spec.dtype) for t in tails if t] or [np.zeros(0)])
    tokens = tokens.astype(spec.dtype, copy=False)
    n = len(tokens) // spec.seq_len
    if n == 0:
        return 0, len(tokens)
    out = storage.join(spec.out, stream, TAIL_PART)
    staging = staging_dir(out, os.getpid())
    shutil.rmtree(staging, ignore_errors=True)
    with spec.writer(staging) as writer:
        for i in range(n):
            writer.write({"tokens": tokens[i * spec.seq_len : (i + 1) * spec.seq_len]})
    storage.publish_tree(staging, out, last=(INDEX,))
    return n, len(tokens) - n * spec.seq_len
