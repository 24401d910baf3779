"""The post-commit check of every document stage: what was committed adds up to the counts.

``verify_committed`` compares the kept rows per source that the output commit added and the
``rejects`` rows that this run added with the run's counts, else ``RuntimeError``
(``<stage> conservation check failed after commit: ...``). The rows come from the statistics
Delta keeps in its log (``Lakehouse.added_rows``, no Spark job); only when those cannot tell
are the committed versions counted with Spark. ``whole_output`` is for an output that each run
replaces whole (its rows keep their upstream ``run_id``): then every row the commit added
counts, else only this run's rows.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from data_pipeline.lakehouse.tables import REJECTS, Lakehouse, TableVersion


def verify_committed(
    lake: Lakehouse,
    written: dict[str, TableVersion],
    kept: dict[str, int],
    rejected: int,
    output: str,
    stage: str,
    run_id: str,
    whole_output: bool = False,
) -> None:
    """Raise when the committed kept rows (per source) or rejected rows differ from the counts."""
    committed = lake.added_rows(written[output], None if whole_output else run_id, by="source")
    dropped = lake.added_rows(written[REJECTS], run_id)
    if committed is None or dropped is None:
        committed, n_dropped = _committed_with_spark(
            lake, written, output, stage, run_id, whole_output
        )
    else:
        n_dropped = sum(dropped.values())
    problems = [
        f"{name}: kept {n}, committed {committed.get(name, 0)}"
        for name, n in sorted(kept.items())
        if committed.get(name, 0) != n
    ]
    problems += [
        f"{name}: kept 0, committed {n}" for name, n in committed.items() if n and name not in kept
    ]
    if n_dropped != rejected:
        problems.append(f"rejected {rejected}, committed {n_dropped}")
    if problems:
        raise RuntimeError(
            f"{stage} conservation check failed after commit: " + "; ".join(problems)
        )


def _committed_with_spark(
    lake: Lakehouse,
    written: dict[str, TableVersion],
    output: str,
    stage: str,
    run_id: str,
    whole_output: bool,
) -> tuple[dict[str, int], int]:
    docs: DataFrame = lake.read(output, written[output].version)
    if not whole_output:
        docs = docs.filter(F.col("run_id") == run_id)
    kept = {r["source"]: int(r["count"]) for r in docs.groupBy("source").count().collect()}
    rejects = lake.read(REJECTS, written[REJECTS].version)
    mine = rejects.filter((F.col("run_id") == run_id) & (F.col("stage") == stage))
    return kept, mine.count()
