"""A filter chain: language ID, then each source's ordered filters; the first drop wins.

``FilterChain.run`` takes ``Doc`` objects (explain mode and tests use it directly);
``arrow_mapper`` wraps it for Spark's ``mapInArrow`` so the chain (and every model in it) is built
once per partition. Each output row keeps the input columns and adds ``lang``, ``lang_score``,
``quality_score``, ``tags``, the verdict (``filter``, ``reason``, ``score``; null when kept),
``events`` (counts to add to the run, see ``doc.py``) and ``input_chars``. Kept rows carry the
edited text, dropped rows their original text. Dropped rows keep only their ``skipped.*`` and
``errors.*`` events: edits and redactions are counted on the documents that are kept.

A filter that raises drops the document with reason ``filter_error`` (counted as
``errors.<filter>.<exception>``) instead of failing the job.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from data_pipeline.filters.base import Drop, Filter, as_drop, build_filter
from data_pipeline.filters.doc import Doc
from data_pipeline.filters.langid import LanguageIdentifier

ADDED_FIELDS = [
    pa.field("lang", pa.string()),
    pa.field("lang_score", pa.float64()),
    pa.field("quality_score", pa.float64()),
    pa.field("tags", pa.list_(pa.string())),
    pa.field("filter", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("score", pa.float64()),
    pa.field("events", pa.map_(pa.string(), pa.int64())),
    pa.field("input_chars", pa.int64()),
]
KEPT_EVENT_PREFIXES = ("skipped.", "errors.", "time_ms.")


@dataclass(frozen=True)
class ChainSpec:
    """What a chain is built from: (name, params) lists per source, and language-ID settings."""

    default: tuple[tuple[str, dict[str, Any]], ...]
    per_source: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = field(default_factory=dict)
    lid_model: str | None = None
    lid_max_chars: int = 2000


@dataclass
class Verdict:
    filter: str | None = None
    reason: str | None = None
    score: float | None = None

    @property
    def kept(self) -> bool:
        return self.reason is None


def _build(items) -> list[Filter]:
    return [f for name, params in items if (f := build_filter(name, params)) is not None]


class FilterChain:
    """Language ID plus ordered filters per source (the default list for other sources)."""

    def __init__(self, spec: ChainSpec):
        self.spec = spec
        self.identifier = LanguageIdentifier(spec.lid_model, spec.lid_max_chars)
        self.default = _build(spec.default)
        self.per_source = {name: _build(items) for name, items in spec.per_source.items()}
        self._ready = False
        self._time: defaultdict[str, float] = defaultdict(float)  # seconds per filter, this batch

    def filters_for(self, source: str) -> list[Filter]:
        return self.per_source.get(source, self.default)

    def setup(self) -> None:
        if not self._ready:
            for chain in [self.default, *self.per_source.values()]:
                for f in chain:
                    f.setup()
            self._ready = True

    def run(self, docs: list[Doc]) -> list[Verdict]:
        """Identify languages in one batch, then apply each document's filters in order.

        Time spent per filter in the batch is added to the first document's events as
        ``time_ms.<filter>`` (``time_ms.langid`` for language ID), so runs report it summed.
        """
        self.setup()
        self._time = defaultdict(float)
        start = time.perf_counter()
        self.identifier.annotate(docs)
        self._time["langid_model"] += time.perf_counter() - start
        verdicts = [self.run_one(doc) for doc in docs]
        if docs:
            for name, seconds in self._time.items():
                docs[0].count(f"time_ms.{name}", round(1000 * seconds))
        return verdicts

    def run_one(self, doc: Doc) -> Verdict:
        clock = time.perf_counter
        for f in self.filters_for(doc.source):
            start = clock()
            try:
                drop: Drop | None = as_drop(f.check(doc))
            except Exception as err:  # one bad document must not fail the partition
                doc.count(f"errors.{f.name}.{type(err).__name__}")
                return Verdict(f.name, "filter_error", None)
            finally:
                self._time[f.name] += clock() - start
            if drop is not None:
                return Verdict(
                    f.name, drop.reason, None if drop.score is None else float(drop.score)
                )
        return Verdict()


def arrow_mapper(spec: ChainSpec) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A ``mapInArrow`` function applying the chain built from ``spec`` (once per partition)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        chain = FilterChain(spec)
        for batch in batches:
            yield annotate_batch(chain, batch)

    return run


def annotate_batch(chain: FilterChain, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Run ``chain`` over one batch with at least ``doc_id``, ``text``, ``source`` columns."""
    cols = batch.schema.names
    texts = batch.column(cols.index("text")).to_pylist()
    sources = batch.column(cols.index("source")).to_pylist()
    ids = batch.column(cols.index("doc_id")).to_pylist()
    urls = batch.column(cols.index("url_or_path")).to_pylist() if "url_or_path" in cols else None
    docs = [
        Doc(t or "", s or "", i or "", urls[k] if urls else "")
        for k, (t, s, i) in enumerate(zip(texts, sources, ids, strict=True))
    ]
    verdicts = chain.run(docs)
    out_text, events = [], []
    for doc, verdict, original in zip(docs, verdicts, texts, strict=True):
        if verdict.kept:
            out_text.append(doc.text)
            events.append(dict(doc.events))
        else:
            out_text.append(original or "")
            events.append(
                {k: v for k, v in doc.events.items() if k.startswith(KEPT_EVENT_PREFIXES)}
            )
    arrays = [
        batch.column(i) if name != "text" else pa.array(out_text, pa.string())
        for i, name in enumerate(cols)
    ]
    added = [
        pa.array([d.lang for d in docs], pa.string()),
        pa.array([d.lang_score for d in docs], pa.float64()),
        pa.array([d.quality_score for d in docs], pa.float64()),
        pa.array([d.tags for d in docs], pa.list_(pa.string())),
        pa.array([v.filter for v in verdicts], pa.string()),
        pa.array([v.reason for v in verdicts], pa.string()),
        pa.array([v.score for v in verdicts], pa.float64()),
        pa.array([list(e.items()) for e in events], pa.map_(pa.string(), pa.int64())),
        pa.array([len(t or "") for t in texts], pa.int64()),
    ]
    schema = pa.schema([*batch.schema, *ADDED_FIELDS])
    return pa.RecordBatch.from_arrays(arrays + added, schema=schema)
