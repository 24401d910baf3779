"""The n-gram index of evaluation items: one row per (task, item, n-gram), with its hashes.

``build_index(items, config)`` returns the rows as an Arrow table (``task``, ``item_key``,
``hash``, ``check`` (the two 64-bit hashes as signed longs), ``n_words``, ``ngram``) and
statistics per task. ``NgramIndex`` holds the sorted hash pairs that documents are probed
against. The index hash covers the settings and every item's text, so it names the index's
content: a new version is registered only when it changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_pipeline.decontam.config import IndexConfig
from data_pipeline.decontam.ngrams import NgramHasher, ngram_text, tokenize

SCHEMA = pa.schema(
    [
        ("task", pa.string()),
        ("item_key", pa.string()),
        ("hash", pa.int64()),
        ("check", pa.int64()),
        ("n_words", pa.int32()),
        ("ngram", pa.string()),
    ]
)


@dataclass(frozen=True)
class IndexItem:
    """One evaluated item as text; ``evaluation.items.EvalItem`` has the same fields."""

    task: str
    item_key: str
    text: str


class Item(Protocol):
    """What the index reads of an item."""

    @property
    def task(self) -> str: ...
    @property
    def item_key(self) -> str: ...
    @property
    def text(self) -> str: ...


@dataclass
class BuiltIndex:
    """Index rows, per-task statistics and the content hash."""

    rows: pa.Table
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    digest: str = ""


def index_digest(items: Sequence[Item], config: IndexConfig) -> str:
    """SHA-256 of the index settings and every (task, item key, text)."""
    h = hashlib.sha256(config.key().encode())
    for item in items:
        h.update(f"\0{item.task}\0{item.item_key}\0{item.text}".encode())
    return h.hexdigest()


def build_index(items: Sequence[Item], config: IndexConfig) -> BuiltIndex:
    """Word n-grams of ``items`` (objects with ``task``, ``item_key``, ``text``)."""
    tokens = tokenize(pa.array([i.text for i in items], pa.large_string()), config.normalize)
    hasher = NgramHasher(tokens)
    counts = np.diff(tokens.doc_offsets)
    parts: list[tuple] = []
    stats: dict[str, dict[str, int]] = {}
    for item in items:
        stats.setdefault(item.task, {"items": 0, "indexed": 0, "too_short": 0, "ngrams": 0})
        stats[item.task]["items"] += 1
    for length in sorted({min(int(c), config.n) for c in counts if c >= config.min_words}):
        starts = hasher.starts(length)
        owner = np.searchsorted(tokens.doc_offsets, starts, side="right") - 1
        want = np.minimum(counts[owner], config.n) == length
        starts, owner = starts[want], owner[want]
        if length < config.n:  # a short item is one n-gram: all its words
            first = starts == tokens.doc_offsets[owner]
            starts, owner = starts[first], owner[first]
        h, c = hasher.hashes(starts, length), hasher.checks(starts, length)
        parts.append((owner, starts, h, c, length))
    rows = _rows(items, tokens, parts)
    rows, dropped = _drop_templates(rows, stats, config.template_share)
    for item, c in zip(items, counts, strict=True):
        stats[item.task]["too_short" if c < config.min_words else "indexed"] += 1
    for task, n in dropped.items():
        stats[task]["template_ngrams"] = n
    for task, n in _count(rows, "task").items():
        stats[task]["ngrams"] = n
    return BuiltIndex(rows, stats, index_digest(items, config))


def _rows(items: Sequence[Item], tokens, parts) -> pa.Table:
    cols: dict[str, Any] = {name: [] for name in SCHEMA.names}
    for owner, starts, h, c, length in parts:
        cols["task"] += [items[i].task for i in owner]
        cols["item_key"] += [items[i].item_key for i in owner]
        cols["hash"].append(h.view(np.int64))
        cols["check"].append(c.view(np.int64))
        cols["n_words"] += [length] * len(owner)
        cols["ngram"] += [ngram_text(tokens, int(s), length) for s in starts]
    for key in ("hash", "check"):
        cols[key] = np.concatenate(cols[key]) if cols[key] else np.zeros(0, np.int64)
    table = pa.table(cols, schema=SCHEMA)
    return table.group_by(SCHEMA.names, use_threads=False).aggregate([]).select(SCHEMA.names)


def _count(rows: pa.Table, column: str) -> dict[str, int]:
    counted = rows.group_by(column).aggregate([([], "count_all")])
    return dict(zip(counted[column].to_pylist(), counted["count_all"].to_pylist(), strict=True))


def _drop_templates(
    rows: pa.Table, stats: dict[str, dict[str, int]], share: float
) -> tuple[pa.Table, dict[str, int]]:
    """Leave out n-grams found in >= ``share`` of a task's items (and in 3 or more)."""
    per = rows.group_by(["task", "hash"]).aggregate([("item_key", "count_distinct")])
    limit = pa.array(
        [max(3.0, share * stats[t]["items"]) for t in per["task"].to_pylist()], pa.float64()
    )
    common = per.filter(pc.greater_equal(per["item_key_count_distinct"], limit))
    dropped = _count(common, "task") if common.num_rows else {}
    if not common.num_rows:
        return rows, dropped
    keys = common.select(["task", "hash"]).append_column("common", pa.array([True] * len(common)))
    joined = rows.join(keys, ["task", "hash"], join_type="left outer")
    return joined.filter(pc.is_null(joined["common"])).select(SCHEMA.names), dropped


class NgramIndex:
    """Sorted hash pairs of an index and the n-gram lengths it holds; probed per batch.

    Probing is two-step: a bitmap of ``2^BITMAP_BITS`` bits over the top bits of the primary
    hash rules out almost every n-gram with one vectorised lookup (for 400k indexed n-grams
    under 1% pass), then the few candidates are searched in the sorted hashes and confirmed
    with the second hash. The bitmap is rebuilt where the index is unpickled.
    """

    BITMAP_BITS = 26

    def __init__(self, hashes: np.ndarray, checks: np.ndarray, lengths: Sequence[int]):
        order = np.lexsort((checks, hashes))
        self.hashes = hashes.astype(np.uint64)[order]
        self.checks = checks.astype(np.uint64)[order]
        self.lengths = tuple(sorted(set(int(x) for x in lengths)))
        self._bitmap: np.ndarray | None = None

    @classmethod
    def from_rows(cls, rows: pa.Table) -> NgramIndex:
        return cls(
            rows["hash"].to_numpy().view(np.uint64),
            rows["check"].to_numpy().view(np.uint64),
            sorted(set(rows["n_words"].to_pylist())),
        )

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_bitmap": None}

    def __len__(self) -> int:
        return len(self.hashes)

    def _slots(self, h: np.ndarray) -> np.ndarray:
        return (h >> np.uint64(64 - self.BITMAP_BITS)).astype(np.int64)

    def maybe(self, h: np.ndarray) -> np.ndarray:
        """False where ``h`` is certainly not an indexed primary hash."""
        if self._bitmap is None:
            self._bitmap = np.zeros(1 << (self.BITMAP_BITS - 3), dtype=np.uint8)
            slots = self._slots(self.hashes)
            np.bitwise_or.at(self._bitmap, slots >> 3, (1 << (slots & 7)).astype(np.uint8))
        slots = self._slots(h)
        return ((self._bitmap[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1).astype(bool)

    def contains(self, h: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Which (hash, check) pairs are in the index."""
        if not len(self.hashes) or not len(h):
            return np.zeros(len(h), dtype=bool)
        lo = np.searchsorted(self.hashes, h, side="left")
        hi = np.searchsorted(self.hashes, h, side="right")
        found = hi > lo
        out = np.zeros(len(h), dtype=bool)
        out[found] = self.checks[lo[found]] == c[found]
        for i in np.flatnonzero(found & ~out & (hi - lo > 1)):  # rare: equal primaries
            out[i] = bool((self.checks[lo[i] : hi[i]] == c[i]).any())
        return out
