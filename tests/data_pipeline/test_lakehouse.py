"""Versions and commit metadata read from the Delta log, against Delta's own history."""

from __future__ import annotations

from delta.tables import DeltaTable

from data_pipeline.lakehouse.tables import CommitInfo, Lakehouse, TableWrite


def _commit(run_id: str) -> CommitInfo:
    return CommitInfo(run_id, "stage_a", "cfg", "code")


def test_latest_version_and_commit_metadata_match_delta_history(tmp_path, spark):
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    assert lake.latest_version("t") is None
    for i, run_id in enumerate(["r1", "r2", "r3"]):
        df = spark.createDataFrame([(i, run_id)], "n int, run string")
        written = lake.write(TableWrite("t", df, mode="append"), _commit(run_id))
        assert written.version == i
    history = DeltaTable.forPath(spark, lake.path("t")).history().collect()
    assert lake.latest_version("t") == max(r["version"] for r in history) == 2
    assert lake.commit_metadata("t", 1)["run_id"] == "r2"
    assert lake.commit_metadata("t", 1)["stage"] == "stage_a"


def test_replayed_write_reports_the_version_its_run_wrote(tmp_path, spark):
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    first = spark.createDataFrame([(1,)], "n int")
    assert lake.write(TableWrite("t", first), _commit("r1")).version == 0
    assert lake.write(TableWrite("t", first, mode="append"), _commit("r2")).version == 1
    # run r1 replayed: Delta skips its write (same txnAppId), the answer is still version 0
    replay = lake.write(TableWrite("t", first), _commit("r1"))
    assert replay.version == 0
    assert lake.latest_version("t") == 1


def test_empty_files_of_a_killed_writer_are_removed_at_the_next_write(tmp_path, spark):
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    df = spark.createDataFrame([(1,)], "n int")
    lake.write(TableWrite("t", df), _commit("r1"))
    leftover = tmp_path / "lake" / "t" / "part-00001-killed.c000.snappy.parquet"
    leftover.write_bytes(b"")  # what a writer killed mid-file leaves
    lake.write(TableWrite("t", df, mode="append"), _commit("r2"))
    assert not leftover.exists()
    assert lake.read("t").count() == 2


def test_a_table_name_that_leaves_the_root_is_refused(tmp_path, spark):
    import pytest

    from data_pipeline.lakehouse.names import InvalidName

    lake = Lakehouse(str(tmp_path / "lake"), spark)
    with pytest.raises(InvalidName, match=r"table name '\.\./x'"):
        lake.path("../x")


def test_added_rows_count_only_the_runs_new_rows_not_rewritten_ones(tmp_path, spark):
    """A replaceWhere on a data column rewrites files to keep other rows: those do not count."""
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    schema = "stage string, source string, run_id string, n int"
    old = [("f", s, "r1", i) for s in ("a", "b", "c") for i in range(3)]
    first = lake.write(
        TableWrite("t", spark.createDataFrame(old, schema).coalesce(1), partition_by=("stage",)),
        _commit("r1"),
    )
    assert lake.added_rows(first, "r1") == {"": 9}
    new = [("f", s, "r2", i) for s in ("a", "b") for i in range(2)]
    second = lake.write(
        TableWrite(
            "t",
            spark.createDataFrame(new, schema),
            replace_where="stage = 'f' AND source IN ('a', 'b')",
        ),
        _commit("r2"),
    )
    # the 3 rows of source c were copied into a new file: not r2's
    assert lake.added_rows(second, "r2") == {"": 4}
    assert lake.read("t").count() == 7
    by_source = lake.added_rows(
        lake.write(
            TableWrite("u", spark.createDataFrame(new, schema), partition_by=("source",)),
            _commit("r2"),
        ),
        "r2",
        by="source",
    )
    assert by_source == {"a": 2, "b": 2}
    assert lake.added_rows(second, "x" * 33) is None  # longer than Delta's string statistics
    # without a run id every row of the commit counts (an output each run replaces whole)
    assert lake.added_rows(second, None) == {"": 7}
    assert lake.added_rows(second, "r2", by="source") is None  # not a partition column: Spark
