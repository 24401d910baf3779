"""Counts of stages that edit documents as well as drop them (decontaminate, dedup_paragraphs).

The annotated DataFrame has ``source``, ``text`` (after editing), ``input_chars`` (before) and
an action column (``dropped`` = rejected, anything else kept) with a reason column for drops.
Keys: ``input``, ``kept``, ``rejected``, ``rejected.<filter>.<reason>``,
``source.<name>.{input,kept,rejected}``, ``chars.input``, ``chars.kept``, ``chars.rejected``,
``chars.rejected.<filter>.<reason>``, ``chars.edited.<filter>`` (characters removed from kept
documents), ``chars.source.<name>.{input,kept,rejected,edited}`` and ``<prefix><action>``
(documents per action). They add up as in the filter stage (``filter_accounting.check``).
"""

from __future__ import annotations

from collections import Counter

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.stages.filter_accounting import check

DROPPED = "dropped"


def account(
    annotated: DataFrame, filter_name: str, action: str, reason: str, prefix: str
) -> dict[str, int]:
    """Aggregate ``annotated`` into counts and raise if documents or characters do not add up."""
    rows = (
        annotated.groupBy("source", action, reason)
        .agg(
            F.count(F.lit(1)).alias("docs"),
            F.sum("input_chars").alias("in_chars"),
            F.sum(F.length("text")).alias("out_chars"),
        )
        .collect()
    )
    c: Counter[str] = Counter()
    for r in rows:
        src, act, docs = r["source"], r[action], r["docs"]
        in_chars, out_chars = int(r["in_chars"] or 0), int(r["out_chars"] or 0)
        outcome = "rejected" if act == DROPPED else "kept"
        for scope in ("", f"source.{src}."):
            c[f"{scope}input"] += docs
            c[f"{scope}{outcome}"] += docs
            c[f"chars.{scope}input"] += in_chars
        c[f"{prefix}{act}"] += docs
        if outcome == "rejected":
            key = f"{filter_name}.{r[reason]}"
            c[f"rejected.{key}"] += docs
            c[f"chars.rejected.{key}"] += in_chars
            c["chars.rejected"] += in_chars
            c[f"chars.source.{src}.rejected"] += in_chars
        else:
            c["chars.kept"] += out_chars
            c[f"chars.source.{src}.kept"] += out_chars
            c[f"chars.edited.{filter_name}"] += in_chars - out_chars
            c[f"chars.source.{src}.edited"] += in_chars - out_chars
    for key in ("input", "kept", "rejected", "chars.input", "chars.kept", "chars.rejected"):
        c[key] += 0
    c[f"chars.edited.{filter_name}"] += 0
    counts = dict(c)
    sources = sorted({r["source"] for r in rows})
    for name in sources:
        for part in ("input", "kept", "rejected"):
            counts.setdefault(f"source.{name}.{part}", 0)
    check(counts, sources)
    return counts
