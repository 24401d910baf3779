"""``ladder status`` reads the lakehouse from the Delta log without Spark, and agrees with Spark."""

from __future__ import annotations

import os

import yaml

from data_pipeline.lakehouse.lineage import RunLog, RunRecord
from data_pipeline.lakehouse.tables import CommitInfo, Lakehouse, TableVersion, TableWrite
from data_pipeline.status import collect_status, format_status, quick_status


def test_status_without_spark_equals_status_with_spark(tmp_path, spark, monkeypatch, capsys):
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    log = RunLog(lake)
    log.record(RunRecord("r-first", "ingest", status="succeeded"))
    every = "TBLPROPERTIES ('delta.checkpointInterval' = '5')"  # the project's 50 is too many
    spark.sql(f"ALTER TABLE delta.`{lake.path('runs')}` SET {every}")
    for i in range(12):
        outputs = [TableVersion("docs", i)] if i < 3 else []
        df = spark.createDataFrame([(i,)], "n int")
        if i < 3:
            lake.write(TableWrite("docs", df, mode="append"), CommitInfo(f"r{i}", "ingest", "", ""))
        log.record(RunRecord(f"r{i}", "ingest", status="succeeded", outputs=outputs))
    log.record(RunRecord("r5", "ingest", status="failed", error="boom"))  # a later state wins
    assert os.path.isfile(tmp_path / "lake" / "runs" / "_delta_log" / "_last_checkpoint")

    quick = quick_status(lake.root)
    assert quick is not None
    assert format_status(quick) == format_status(collect_status(lake))
    assert quick.tables[0].version == 2 and quick.tables[0].made_by.run_id == "r2"

    import data_pipeline.runner as runner
    from flows.cli import main

    monkeypatch.setattr(runner, "open_lakehouse", lambda *a: (_ for _ in ()).throw(AssertionError))
    config = tmp_path / "p.yaml"
    config.write_text(yaml.safe_dump({"lakehouse": str(tmp_path / "lake")}))
    assert main(["status", "--config", str(config)]) == 0  # no Spark session asked for
    assert "docs" in capsys.readouterr().out
