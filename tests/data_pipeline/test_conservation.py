"""The one post-commit check, on real Delta commits: from the log's statistics, with Spark when
those cannot tell, and failing when the committed rows differ from the counts."""

from __future__ import annotations

import pytest

from data_pipeline.conservation import verify_committed
from data_pipeline.funnel import Funnel
from data_pipeline.lakehouse.tables import (
    REJECTS,
    SHARED_TABLES,
    CommitInfo,
    Lakehouse,
    TableWrite,
)

DOCS = "source string, run_id string, n int"
REJECT_ROWS = [("x1", "a", "s", "f", "too_short", None, None, "t", None, "r1")]


def _commit(run_id: str) -> CommitInfo:
    return CommitInfo(run_id, "s", "h", "c", ())


def _written(lake: Lakehouse, spark, partition: tuple[str, ...]) -> dict:
    kept = [("a", "r1", 1), ("a", "r1", 2), ("b", "r1", 3)]
    rejects = spark.createDataFrame(REJECT_ROWS, SHARED_TABLES[REJECTS][0])
    out = TableWrite("out", spark.createDataFrame(kept, DOCS), partition_by=partition)
    return {v.table: v for v in lake.write_all([out, TableWrite(REJECTS, rejects)], _commit("r1"))}


@pytest.mark.parametrize("partition", [("source",), ()])  # () : statistics cannot tell
def test_committed_rows_checked_per_source(tmp_path, spark, partition):
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    written = _written(lake, spark, partition)
    funnel = Funnel("s")
    funnel.add("a", "kept", 2)
    funnel.add("b", "kept", 1)
    funnel.add("a", "rejected", 1, "f", "too_short")
    funnel.verify_committed(lake, written, "out", "r1")
    funnel.verify_committed(lake, written, "out", "r1", whole_output=True)
    with pytest.raises(RuntimeError, match=r"s conservation check failed after commit: a: kept 3"):
        verify_committed(lake, written, {"a": 3, "b": 1}, 1, "out", "s", "r1")
    with pytest.raises(RuntimeError, match="rejected 2, committed 1"):
        verify_committed(lake, written, {"a": 2, "b": 1}, 2, "out", "s", "r1")
