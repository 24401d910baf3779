"""Counts of the filter stage, from two Spark aggregations (never accumulators), as a ``Funnel``.

Keys (documents unless prefixed ``chars.``): ``input``, ``kept``, ``rejected``,
``rejected.<filter>.<reason>``, ``source.<name>.{input,kept,rejected}``,
``lang.<code>.{input,kept,rejected}``; ``chars.input``, ``chars.kept``, ``chars.rejected``,
``chars.rejected.<filter>.<reason>``, ``chars.source.<name>.{input,kept,rejected}``; plus the
summed per-document events (``skipped.*``, ``edited.*``, ``redacted.*``, ``tagged.*``,
``errors.*``, ``chars.edited.<filter>``, ``time_ms.<filter>``). Characters add up as
``chars.input = chars.kept + chars.rejected + sum(chars.edited.*)``.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.funnel import Funnel


def account(annotated: DataFrame, sources: list[str]) -> Funnel:
    """Aggregate the annotated rows into the run's funnel and check that it adds up."""
    groups = (
        annotated.groupBy("source", "lang", "filter", "reason")
        .agg(
            F.count(F.lit(1)).alias("docs"),
            F.sum("input_chars").alias("in_chars"),
            F.sum(F.length("text")).alias("out_chars"),
        )
        .collect()
    )
    events = (
        annotated.select(F.explode("events").alias("key", "value"))
        .groupBy("key")
        .agg(F.sum("value").alias("value"))
        .collect()
    )
    funnel = Funnel("filter", sources=sources, chars=True)
    for row in groups:
        kept = row["reason"] is None
        funnel.add(
            row["source"],
            "kept" if kept else "rejected",
            row["docs"],
            filter=None if kept else row["filter"],
            reason=row["reason"],
            chars=int(row["in_chars"] or 0),
            chars_left=int(row["out_chars"] or 0),
            lang=row["lang"] or "und",
        )
    for row in events:
        key, value = row["key"], int(row["value"])
        if key.startswith("chars.edited."):
            funnel.edited(key.removeprefix("chars.edited."), value)
        else:
            funnel.extra(key, value)
    funnel.check()
    return funnel
