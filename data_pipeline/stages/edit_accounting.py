"""Counts of stages that edit documents as well as drop them (decontaminate, dedup_paragraphs).

The annotated DataFrame has ``source``, ``text`` (after editing), ``input_chars`` (before) and
an action column (``dropped`` = rejected, anything else kept) with a reason column for drops.
Keys: ``input``, ``kept``, ``rejected``, ``rejected.<filter>.<reason>``,
``source.<name>.{input,kept,rejected}``, ``chars.input``, ``chars.kept``, ``chars.rejected``,
``chars.rejected.<filter>.<reason>``, ``chars.edited.<filter>`` (characters removed from kept
documents), ``chars.source.<name>.{input,kept,rejected,edited}`` and ``<prefix><action>``
(documents per action, 0 for each of ``actions`` that none took). They add up as every funnel
does (``Funnel.check``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.funnel import Funnel

DROPPED = "dropped"


def account(
    annotated: DataFrame,
    stage: str,
    filter_name: str,
    action: str,
    reason: str,
    prefix: str,
    actions: Sequence[str],
) -> Funnel:
    """Aggregate ``annotated`` into the run's funnel; raise if documents or characters do not
    add up."""
    rows = (
        annotated.groupBy("source", action, reason)
        .agg(
            F.count(F.lit(1)).alias("docs"),
            F.sum("input_chars").alias("in_chars"),
            F.sum(F.length("text")).alias("out_chars"),
        )
        .collect()
    )
    funnel = Funnel(stage, sources=sorted({r["source"] for r in rows}), chars=True)
    funnel.edited(filter_name, 0)
    for act in actions:
        funnel.extra(f"{prefix}{act}", 0)
    for r in rows:
        src, act, docs = r["source"], r[action], r["docs"]
        in_chars, out_chars = int(r["in_chars"] or 0), int(r["out_chars"] or 0)
        funnel.extra(f"{prefix}{act}", docs)
        if act == DROPPED:
            funnel.add(src, "rejected", docs, filter_name, r[reason], chars=in_chars)
        else:
            funnel.add(src, "kept", docs, chars=in_chars, chars_left=out_chars)
            funnel.edited(filter_name, in_chars - out_chars, source=src)
    funnel.check()
    return funnel
