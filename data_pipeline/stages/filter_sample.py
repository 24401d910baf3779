"""Running the filter chain on a sample on the driver: explain mode and top-fraction thresholds.

Nothing here writes anything. ``sample_docs`` draws a reproducible sample of a table (seeded);
``explain_docs`` runs exactly the chain the stage would run on it and returns counts per filter
and reason plus a few example documents per reason (``data_pipeline.explain`` wires it to a
project).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.filters.chain import ChainSpec, FilterChain, Verdict
from data_pipeline.filters.doc import Doc

SEED = 17


def sample_docs(df: DataFrame, n: int, seed: int = SEED) -> list[Doc]:
    """About ``n`` documents drawn uniformly (seeded) from ``df``, as ``Doc`` objects."""
    total = df.count()
    if total == 0 or n <= 0:
        return []
    fraction = min(1.0, 1.2 * n / total)
    picked = df if fraction >= 1.0 else df.sample(fraction=fraction, seed=seed)
    rows = (
        picked.select("doc_id", "text", "source", "url_or_path")
        .orderBy(F.xxhash64("doc_id", F.lit(seed)))
        .limit(n)
        .collect()
    )
    return [Doc(r["text"] or "", r["source"], r["doc_id"], r["url_or_path"] or "") for r in rows]


def run_chain(spec: ChainSpec, docs: list[Doc]) -> list[Verdict]:
    return FilterChain(spec).run(docs)


def estimate_quality_threshold(spec: ChainSpec, docs: list[Doc], top_fraction: float) -> float:
    """Score that keeps ``top_fraction`` of the sampled documents reaching the classifier."""
    run_chain(spec, docs)
    scores = sorted(d.quality_score for d in docs if d.quality_score is not None)
    if not scores:
        return 0.0
    index = min(len(scores) - 1, max(0, round((1.0 - top_fraction) * len(scores))))
    return scores[index]


@dataclass
class Explanation:
    """What explain mode found on a sample."""

    sample: int
    kept: int
    by_reason: Counter = field(default_factory=Counter)
    by_source: dict[str, Counter] = field(default_factory=dict)
    by_lang: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def format(self, snippet: int = 160) -> str:
        """Plain-text report: counts per reason (share of the sample), then examples."""
        n = max(1, self.sample)
        lines = [
            f"explain: {self.sample} sampled documents, kept {self.kept} "
            f"({100 * self.kept / n:.1f}%), rejected {self.sample - self.kept}"
        ]
        lines.append(f"{'filter':<20} {'reason':<32} {'docs':>7} {'share':>7}")
        for (flt, reason), count in sorted(self.by_reason.items(), key=lambda kv: -kv[1]):
            lines.append(f"{flt:<20} {reason:<32} {count:>7} {100 * count / n:>6.1f}%")
        if self.by_source:
            lines.append("per source (input -> kept):")
            for source, c in sorted(self.by_source.items()):
                lines.append(f"  {source:<24} {c['input']:>7} -> {c['kept']:>7}")
        if self.by_lang:
            top = ", ".join(f"{k}={v}" for k, v in self.by_lang.most_common(12))
            lines.append(f"languages (sample): {top}")
        for key in sorted(self.events):
            lines.append(f"  {key}: {self.events[key]}")
        for (flt, reason), docs in sorted(self.examples.items()):
            lines.append(f"\nexamples of {flt}/{reason}:")
            for ex in docs:
                text = " ".join(ex["text"].split())[:snippet]
                score = "" if ex["score"] is None else f" score={ex['score']:.3g}"
                lines.append(f"  - [{ex['source']} {ex['lang']}{score}] {text}")
        return "\n".join(lines)


def explain_docs(spec: ChainSpec, docs: list[Doc], examples: int = 3) -> Explanation:
    """Run the chain over ``docs`` and gather counts and up to ``examples`` docs per reason."""
    originals = [d.text for d in docs]
    verdicts = run_chain(spec, docs)
    out = Explanation(sample=len(docs), kept=sum(v.kept for v in verdicts))
    for doc, verdict, text in zip(docs, verdicts, originals, strict=True):
        per = out.by_source.setdefault(doc.source, Counter())
        per["input"] += 1
        per["kept" if verdict.kept else "rejected"] += 1
        out.by_lang[doc.lang] += 1
        out.events.update(doc.events)
        if verdict.reason is None:  # kept
            continue
        key = (verdict.filter or "", verdict.reason)
        out.by_reason[key] += 1
        shown = out.examples.setdefault(key, [])
        if len(shown) < examples:
            shown.append(
                {
                    "doc_id": doc.doc_id,
                    "source": doc.source,
                    "lang": doc.lang,
                    "score": verdict.score,
                    "text": text,
                }
            )
    return out
