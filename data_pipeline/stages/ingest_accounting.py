"""Counts of the ingest stage, in the words every stage uses, and the post-commit check.

``account`` turns the readers' end-of-split rows and the per-(source, kind, reason) row counts
into ``input`` (records the readers saw plus whole files that could not be read) = ``kept`` +
``rejected`` (always 0) + ``quarantined``, with ``quarantined.<reason>``, ``files`` and
``partly_read_files``, per source and in total; it raises when a reader emitted other than the
records it saw. ``verify`` counts the committed rows of this run with Spark.
"""

from __future__ import annotations

from pyspark.sql import functions as F

from data_pipeline.lakehouse.config import SourceConfig
from data_pipeline.lakehouse.tables import QUARANTINE, TableVersion
from data_pipeline.readers.base import BAD, DOC, PARTLY_READ
from data_pipeline.stages.registry import StageContext


def broken(end: dict) -> bool:
    """A split that failed as a whole: its records are quarantined with it. A ``partly_read``
    split (a truncated stream, a corrupt row group) keeps the records read before the break."""
    return bool(end["error"]) and end["reason"] != PARTLY_READ


def account(
    ends: list[dict], kinds: list, missing: list[dict], sources: list[SourceConfig]
) -> dict[str, int]:
    """Counts per source and reason; checks that the readers' own record counts add up.

    ``kinds`` rows are (source, kind, reason, in_bad_split, count).
    """
    counts: dict[str, int] = {"files": len({e["file"] for e in ends})}
    per_source = {s.name: {"input": 0, "kept": 0} for s in sources}

    def add(key: str, value: int) -> None:
        counts[key] = counts.get(key, 0) + value

    emitted: dict[str, int] = {}
    for row in kinds:
        if row["kind"] not in (DOC, BAD):
            continue
        emitted[row["source"]] = emitted.get(row["source"], 0) + row["count"]
        if row["kind"] == BAD:
            add(f"quarantined.{row['reason']}", row["count"])
        elif row["in_bad_split"]:
            add("quarantined.bad_file", row["count"])
        else:
            per_source[row["source"]]["kept"] += row["count"]
    for e in ends:
        whole_file = 1 if broken(e) and e["records"] == 0 else 0
        if e["reason"] == PARTLY_READ:
            add("partly_read_files", 1)
        per_source[e["source"]]["input"] += e["records"] + whole_file
        if whole_file:
            add(f"quarantined.{e['reason'] or 'unreadable_file'}", 1)
    for m in missing:
        per_source[m["source"]]["input"] += 1
        add("quarantined.missing_file", 1)
    for source in sources:
        seen = sum(e["records"] for e in ends if e["source"] == source.name)
        if emitted.get(source.name, 0) != seen:
            raise RuntimeError(
                f"ingest accounting broke for source {source.name!r}: readers saw "
                f"{seen} records but emitted {emitted.get(source.name, 0)} rows"
            )
    for name, src in per_source.items():
        counts[f"source.{name}.input"] = src["input"]
        counts[f"source.{name}.kept"] = src["kept"]
        counts[f"source.{name}.rejected"] = 0
        counts[f"source.{name}.quarantined"] = src["input"] - src["kept"]
    counts["input"] = sum(s["input"] for s in per_source.values())
    counts["kept"] = sum(s["kept"] for s in per_source.values())
    counts["rejected"] = 0
    counts["quarantined"] = counts["input"] - counts["kept"]
    return counts


def verify(
    ctx: StageContext,
    written: dict[str, TableVersion],
    counts: dict[str, int],
    sources: list[str],
    output: str,
    stage: str,
) -> None:
    """After the commit: rows of this run in both tables must equal what was read (the
    committed rows replace ``source.<name>.kept``/``quarantined`` and the totals)."""
    docs = ctx.lakehouse.read(output, written[output].version)
    quarantine = ctx.lakehouse.read(QUARANTINE, written[QUARANTINE].version)
    docs_by = {
        r["source"]: r["count"]
        for r in docs.filter(F.col("run_id") == ctx.run_id).groupBy("source").count().collect()
    }
    quar_by = {
        r["source"]: r["count"]
        for r in quarantine.filter((F.col("run_id") == ctx.run_id) & (F.col("stage") == stage))
        .groupBy("source")
        .count()
        .collect()
    }
    problems = []
    for name in sources:
        read = counts[f"source.{name}.input"]
        got_docs, got_quar = docs_by.get(name, 0), quar_by.get(name, 0)
        if read != got_docs + got_quar:
            problems.append(f"{name}: input {read} != kept {got_docs} + quarantined {got_quar}")
        counts[f"source.{name}.kept"] = got_docs
        counts[f"source.{name}.quarantined"] = got_quar
    counts["kept"] = sum(docs_by.get(n, 0) for n in sources)
    counts["quarantined"] = sum(quar_by.get(n, 0) for n in sources)
    counts["input"] = sum(counts[f"source.{n}.input"] for n in sources)
    if problems:
        raise RuntimeError("ingest conservation check failed: " + "; ".join(problems))
