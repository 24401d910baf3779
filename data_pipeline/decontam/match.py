"""Matching documents against the n-gram index, and cutting the matches out, per Arrow batch.

``scan_batch`` is the function Spark runs (``mapInArrow``) over the documents: it returns every
input column (``text`` cut where needed) plus ``decontam_action`` (``clean``, ``cut`` or
``dropped``), ``decontam_reason`` (null unless dropped), ``input_chars`` and ``hits``: one entry
per matched n-gram with its hash pair, token position, word count and character span in the
original text. Documents are hashed ``batch_docs`` at a time; only documents with a match are
looked at in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql.types import (
    ArrayType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from data_pipeline.decontam.config import DecontamConfig
from data_pipeline.decontam.index import NgramIndex
from data_pipeline.decontam.ngrams import NgramHasher, Tokens, chunk_spans, tokenize

CLEAN, CUT, DROPPED = "clean", "cut", "dropped"
ACTIONS = (CLEAN, CUT, DROPPED)
CONTAMINATED = "contaminated"
TOO_SHORT = "too_short_after_decontamination"

HIT = StructType(
    [
        StructField("hash", LongType()),
        StructField("check", LongType()),
        StructField("token_pos", IntegerType()),
        StructField("n_words", IntegerType()),
        StructField("char_start", IntegerType()),
        StructField("char_end", IntegerType()),
    ]
)
EXTRA = [
    StructField("decontam_action", StringType()),
    StructField("decontam_reason", StringType()),
    StructField("input_chars", LongType()),
    StructField("hits", ArrayType(HIT)),
]


@dataclass
class Hit:
    hash: int
    check: int
    token_pos: int
    n_words: int
    char_start: int = -1
    char_end: int = -1


def find_hits(tokens: Tokens, index: NgramIndex) -> dict[int, list[Hit]]:
    """Matched n-grams per document (by row), token positions relative to the document."""
    hasher = NgramHasher(tokens)
    found: dict[int, list[Hit]] = {}
    for length in index.lengths:
        starts = hasher.starts(length)
        h = hasher.hashes(starts, length)
        maybe = np.flatnonzero(index.maybe(h))
        if not maybe.size:
            continue
        starts, h = starts[maybe], h[maybe]
        c = hasher.checks(starts, length)
        matched = np.flatnonzero(index.contains(h, c))
        docs = np.searchsorted(tokens.doc_offsets, starts[matched], side="right") - 1
        pos = (starts[matched] - tokens.doc_offsets[docs]).tolist()
        h_list = h[matched].view(np.int64).tolist()
        c_list = c[matched].view(np.int64).tolist()
        for k, doc in enumerate(docs.tolist()):
            found.setdefault(doc, []).append(Hit(h_list[k], c_list[k], pos[k], length))
    return found


def locate(text: str, doc: int, hits: list[Hit], tokens: Tokens) -> bool:
    """Fill in the character spans of ``hits``; False when the chunks do not line up."""
    if tokens.chunk_in_doc is None or tokens.chunk_counts is None:
        raise ValueError("locate needs tokens made with tokenize(..., chunks=True)")
    spans = chunk_spans(text)
    if len(spans) != tokens.chunk_counts[doc]:
        return False
    base = tokens.doc_offsets[doc]
    for hit in hits:
        first = tokens.chunk_in_doc[base + hit.token_pos]
        last = tokens.chunk_in_doc[base + hit.token_pos + hit.n_words - 1]
        hit.char_start, hit.char_end = spans[first][0], spans[last][1]
    return True


def cut(text: str, hits: list[Hit], margin: int) -> tuple[str, int]:
    """``text`` without each hit and ``margin`` characters around it; (text, merged spans)."""
    spans = sorted(
        (max(0, h.char_start - margin), min(len(text), h.char_end + margin)) for h in hits
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, pos = [], 0
    for start, end in merged:
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    kept = [p.strip() for p in pieces if p.strip()]
    return "\n".join(kept), len(merged)


def decide(text: str, hits: list[Hit], located: bool, cfg: DecontamConfig) -> tuple[str, str, str]:
    """(action, reason or '', text) for one document with hits."""
    if cfg.action == "drop" or not located:
        return DROPPED, CONTAMINATED, text
    out, spans = cut(text, hits, cfg.margin_chars)
    if spans > cfg.max_spans:
        return DROPPED, CONTAMINATED, text
    if len(out) < cfg.min_remaining_chars:
        return DROPPED, TOO_SHORT, text
    return CUT, "", out


def _located_hits(texts: list[str], index: NgramIndex, cfg: DecontamConfig):
    """Hits with character spans for a few documents (chunk-wise tokenisation); per document,
    (hits, located) where located is False when the chunks do not line up."""
    tokens = tokenize(pa.array(texts, pa.large_string()), cfg.index.normalize, chunks=True)
    found = find_hits(tokens, index)
    out = []
    for doc, text in enumerate(texts):
        hits = found.get(doc, [])
        out.append((hits, bool(hits) and locate(text, doc, hits, tokens)))
    return out


def scan_table(table: pa.Table, index: NgramIndex, cfg: DecontamConfig) -> pa.Table:
    """One batch of documents, annotated (see the module docstring)."""
    texts = table.column("text").combine_chunks()
    found = find_hits(tokenize(texts, cfg.index.normalize), index)
    n = table.num_rows
    actions = [CLEAN] * n
    reasons: list[str | None] = [None] * n
    hits_col: list[list[dict] | None] = [None] * n
    lengths = pc.fill_null(pc.utf8_length(texts), 0).cast(pa.int64())
    if found:  # rare: only then do texts go through Python
        out_texts = texts.to_pylist()
        rows = sorted(found)
        located = _located_hits([out_texts[d] or "" for d in rows], index, cfg)
        for doc, (hits, ok) in zip(rows, located, strict=True):
            hits = hits if ok else found[doc]
            action, reason, out_texts[doc] = decide(out_texts[doc] or "", hits, ok, cfg)
            actions[doc], reasons[doc] = action, reason or None
            hits_col[doc] = [h.__dict__ for h in hits]
        column = table.schema.get_field_index("text")
        table = table.set_column(column, "text", pa.array(out_texts, texts.type))
    return (
        table.append_column("decontam_action", pa.array(actions, pa.string()))
        .append_column("decontam_reason", pa.array(reasons, pa.string()))
        .append_column("input_chars", lengths)
        .append_column("hits", pa.array(hits_col, _arrow_hit_type()))
    )


def _arrow_hit_type() -> pa.DataType:
    return pa.list_(
        pa.struct(
            [
                ("hash", pa.int64()),
                ("check", pa.int64()),
                ("token_pos", pa.int32()),
                ("n_words", pa.int32()),
                ("char_start", pa.int32()),
                ("char_end", pa.int32()),
            ]
        )
    )


def scanner(index_ref, cfg: DecontamConfig):
    """The ``mapInArrow`` function; ``index_ref`` is a Spark broadcast of an ``NgramIndex``."""

    def scan(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        index = index_ref.value
        for batch in batches:
            table = pa.Table.from_batches([batch])
            if table.num_rows == 0:
                continue
            for start in range(0, max(1, table.num_rows), cfg.batch_docs):
                part = scan_table(table.slice(start, cfg.batch_docs), index, cfg)
                yield from part.to_batches()

    return scan


def annotated_schema(schema: StructType) -> StructType:
    return StructType([*schema.fields, *EXTRA])
