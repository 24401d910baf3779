"""Contamination at evaluation time: a model's lineage leads to its training documents, which
are scanned for the evaluated items (the scan the flows pass in); the clean score leaves the
found items out. And the contamination column of ``ladder eval compare``."""

from __future__ import annotations

import datetime as dt

from data_pipeline.decontam.training_data import items_in_training_data, training_tables
from data_pipeline.lakehouse import schemas
from data_pipeline.lakehouse.lineage import SUCCEEDED, RunLog, RunRecord
from data_pipeline.lakehouse.tables import ArtifactRef, Lakehouse, TableVersion
from evaluation.compare import compare, format_table
from evaluation.contamination import contamination_rows
from evaluation.gauntlet import TaskResult
from evaluation.items import task_items
from evaluation.specs import load_gauntlet
from tests.corpus import texts

MODEL = ArtifactRef("model/run-1", 1)


def _lineage(lake: Lakehouse, docs: TableVersion) -> None:
    log = RunLog(lake)
    now = dt.datetime.now(dt.UTC)
    shards = ArtifactRef("mds-corpus", 1)
    for run_id, stage, inputs, outputs in (
        ("r-tok", "tokenize", [docs], [shards]),
        ("r-train", "train", [shards], [MODEL]),
    ):
        log.record(
            RunRecord(run_id, stage, SUCCEEDED, inputs=inputs, outputs=outputs, started_at=now)
        )


def test_contaminated_items_are_counted_and_left_out_of_the_clean_score(tmp_path, spark):
    spec = next(t for t in load_gauntlet("conf/eval/gauntlet.yaml").tasks if t.name == "piqa")
    items = task_items(spec, 6)
    wiki = [t["text"] for t in texts(6)]
    rows = [
        (f"d{k}", wiki[k] + (f"\n\n{items[k].text}" if k in (1, 4) else ""), "wiki", "x",
         "x", None, dt.datetime(2024, 1, 1), "r-ingest")
        for k in range(6)
    ]  # fmt: skip
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    spark.createDataFrame(rows, schemas.DOCUMENTS).write.format("delta").save(lake.path("docs"))
    _lineage(lake, TableVersion("docs", 0))
    tables, _ = training_tables(lake, MODEL)
    assert tables == [TableVersion("docs", 0)]

    scores = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    result = TaskResult("piqa", "commonsense_reasoning", "acc_norm", 0.5, 0.2, 6, 0.5,
                        items=scores, item_keys=[i.item_key for i in items])  # fmt: skip
    scan = items_in_training_data
    out = contamination_rows(lake, "model/run-1@1", MODEL, [spec], [result], 6, scan)
    by_metric = {r.metric: r for r in out}
    assert by_metric["contaminated_items"].value == 2 and by_metric["contaminated_items"].n == 6
    assert by_metric["clean_acc_norm"].value == 0.25 and by_metric["clean_acc_norm"].n == 4
    assert contamination_rows(lake, "base", None, [spec], [result], 6, scan) == []
    no_lineage = ArtifactRef("model/other", 1)
    assert contamination_rows(lake, "other", no_lineage, [spec], [result], 6, scan) == []
    assert contamination_rows(lake, "model/run-1@1", MODEL, [spec], [result], 6, None) == []


def test_compare_prints_a_contamination_column_per_task():
    def task_rows(model_rows):
        return [
            {"task": "piqa", "metric": "centered_acc", "value": 0.1, "stderr": 0.01, "n": 6,
             "kind": "task"},
            *model_rows,
        ]  # fmt: skip

    tuned = task_rows(
        [
            {"task": "piqa", "metric": "contaminated_items", "value": 2.0, "stderr": None,
             "n": 6, "kind": "contamination"},
            {"task": "piqa", "metric": "clean_acc_norm", "value": 0.25, "stderr": 0.1, "n": 4,
             "kind": "contamination"},
        ]
    )  # fmt: skip
    rows = compare(task_rows([]), tuned)
    assert [(r.task, r.metric) for r in rows] == [("piqa", "centered_acc")]
    assert rows[0].contamination == "- | 2/6 clean=0.2500"
    table = format_table(rows, "base", "tuned")
    assert "contamination (base | tuned)" in table and "2/6 clean=0.2500" in table
