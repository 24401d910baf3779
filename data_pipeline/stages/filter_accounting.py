"""Counts of the filter stage, from two Spark aggregations (never accumulators), and the checks.

Keys (documents unless prefixed ``chars.``): ``input``, ``kept``, ``rejected``,
``rejected.<filter>.<reason>``, ``source.<name>.{input,kept,rejected}``,
``lang.<code>.{input,kept,rejected}``; ``chars.input``, ``chars.kept``, ``chars.rejected``,
``chars.rejected.<filter>.<reason>``, ``chars.source.<name>.{input,kept,rejected}``; plus the
summed per-document events (``skipped.*``, ``edited.*``, ``redacted.*``, ``tagged.*``,
``errors.*``, ``chars.edited.<filter>``, ``time_ms.<filter>``). Characters add up as
``chars.input = chars.kept + chars.rejected + sum(chars.edited.*)``.
"""

from __future__ import annotations

from collections import Counter

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.lakehouse.tables import REJECTS, TableVersion


def account(annotated: DataFrame, sources: list[str]) -> dict[str, int]:
    """Aggregate the annotated rows into run counts and check that they add up."""
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
    counts: Counter[str] = Counter()
    for name in sources:
        for part in ("input", "kept", "rejected"):
            counts[f"source.{name}.{part}"] += 0
    for row in groups:
        docs, in_chars = int(row["docs"]), int(row["in_chars"] or 0)
        source, lang = row["source"], row["lang"] or "und"
        outcome = "kept" if row["reason"] is None else "rejected"
        for prefix in ("", f"source.{source}.", f"lang.{lang}."):
            counts[f"{prefix}input"] += docs
            counts[f"{prefix}{outcome}"] += docs
        counts["chars.input"] += in_chars
        counts[f"chars.source.{source}.input"] += in_chars
        if outcome == "kept":
            counts["chars.kept"] += int(row["out_chars"] or 0)
            counts[f"chars.source.{source}.kept"] += int(row["out_chars"] or 0)
        else:
            key = f"{row['filter']}.{row['reason']}"
            counts[f"rejected.{key}"] += docs
            counts[f"chars.rejected.{key}"] += in_chars
            counts["chars.rejected"] += in_chars
            counts[f"chars.source.{source}.rejected"] += in_chars
    for row in events:
        counts[row["key"]] += int(row["value"])
    for key in ("input", "kept", "rejected", "chars.input", "chars.kept", "chars.rejected"):
        counts[key] += 0
    check(dict(counts), sources)
    return dict(counts)


def check(counts: dict[str, int], sources: list[str]) -> None:
    """Raise when documents or characters do not add up."""
    problems = []
    if counts["input"] != counts["kept"] + counts["rejected"]:
        problems.append(
            f"input {counts['input']} != kept {counts['kept']} + rejected {counts['rejected']}"
        )
    by_reason = sum(v for k, v in counts.items() if k.startswith("rejected."))
    if by_reason != counts["rejected"]:
        problems.append(f"rejected {counts['rejected']} != sum over reasons {by_reason}")
    for name in sources:
        i, k, r = (counts[f"source.{name}.{p}"] for p in ("input", "kept", "rejected"))
        if i != k + r:
            problems.append(f"source {name}: input {i} != kept {k} + rejected {r}")
    edited = sum(v for k, v in counts.items() if k.startswith("chars.edited."))
    if counts["chars.input"] != counts["chars.kept"] + counts["chars.rejected"] + edited:
        problems.append(
            f"chars.input {counts['chars.input']} != kept {counts['chars.kept']} + rejected "
            f"{counts['chars.rejected']} + edited {edited}"
        )
    if problems:
        raise RuntimeError("filter accounting does not add up: " + "; ".join(problems))


def verify_commit(
    ctx,
    written: dict[str, TableVersion],
    counts: dict[str, int],
    sources: list[str],
    output: str,
    stage: str,
) -> None:
    """After the commit: this run's committed kept rows per source and rejected rows equal the
    counts (from the commits' statistics in the Delta log; with Spark when those cannot tell)."""
    kept = ctx.lakehouse.added_rows(written[output], ctx.run_id, by="source")
    dropped = ctx.lakehouse.added_rows(written[REJECTS], ctx.run_id)
    if kept is None or dropped is None:
        kept, dropped = _committed_with_spark(ctx, written, output, stage)
    problems = [
        f"{name}: kept {counts[f'source.{name}.kept']}, committed {kept.get(name, 0)}"
        for name in sources
        if kept.get(name, 0) != counts[f"source.{name}.kept"]
    ]
    if sum(dropped.values()) != counts["rejected"]:
        problems.append(f"rejected {counts['rejected']}, committed {sum(dropped.values())}")
    if problems:
        raise RuntimeError("filter conservation check failed after commit: " + "; ".join(problems))


def _committed_with_spark(ctx, written, output, stage) -> tuple[dict, dict]:
    docs = ctx.lakehouse.read(output, written[output].version)
    rejects = ctx.lakehouse.read(REJECTS, written[REJECTS].version)
    kept = {
        r["source"]: r["count"]
        for r in docs.filter(F.col("run_id") == ctx.run_id).groupBy("source").count().collect()
    }
    dropped = {
        r["source"]: r["count"]
        for r in rejects.filter((F.col("run_id") == ctx.run_id) & (F.col("stage") == stage))
        .groupBy("source")
        .count()
        .collect()
    }
    return kept, dropped
