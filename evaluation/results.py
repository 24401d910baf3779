"""The ``eval_results`` Delta table: one row per (model, task, metric) of an evaluation run.

Row kinds: ``task`` (a benchmark's metric), ``category`` and ``composite`` (centered accuracy),
``domain`` (bits per byte on held-out documents), ``golden`` (golden-set metrics), ``latency``
(speed and cost). Each evaluation of a model appends its rows in one commit whose ``txnAppId`` is
``<run_id>/evaluate:<model>`` (a replay writes nothing) and is recorded in the ``runs`` table with
the model artifact and the held-out table version as inputs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

from pyspark.sql import functions as F
from pyspark.sql.types import (
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from data_pipeline.lakehouse.recording import recorded_run
from data_pipeline.lakehouse.tables import (
    CommitInfo,
    Lakehouse,
    Ref,
    TableVersion,
    TableWrite,
    first_value,
)
from evaluation.gauntlet import GauntletReport

EVAL_RESULTS = StructType(
    [
        StructField("model", StringType(), False),
        StructField("task", StringType(), False),
        StructField("metric", StringType(), False),
        StructField("value", DoubleType(), True),
        StructField("n", LongType(), True),
        StructField("stderr", DoubleType(), True),
        StructField("kind", StringType(), False),
        StructField("category", StringType(), True),
        StructField("config_hash", StringType(), False),
        StructField("run_id", StringType(), False),
        StructField("created_at", TimestampType(), False),
    ]
)


@dataclass
class ResultRow:
    model: str
    task: str
    metric: str
    value: float
    n: int
    stderr: float | None
    kind: str
    category: str | None = None

    def as_tuple(self, config_hash: str, run_id: str, at: dt.datetime) -> tuple:
        def clean(x):
            return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

        return (
            self.model,
            self.task,
            self.metric,
            clean(self.value),
            int(self.n),
            clean(self.stderr),
            self.kind,
            self.category,
            config_hash,
            run_id,
            at,
        )


def gauntlet_rows(model: str, report: GauntletReport) -> list[ResultRow]:
    """Task metrics plus centered accuracy per task, category and composite."""
    rows = []
    for r in report.tasks:
        rows.append(ResultRow(model, r.task, r.metric, r.value, r.n, r.stderr, "task", r.category))
        rows.append(
            ResultRow(
                model, r.task, "centered_acc", r.centered, r.n, r.centered_stderr, "task",
                r.category,
            )
        )  # fmt: skip
    for cat, (value, se) in report.categories.items():
        n = sum(r.n for r in report.tasks if r.category == cat)
        rows.append(ResultRow(model, f"category/{cat}", "centered_acc", value, n, se, "category"))
    for comp in report.composites:
        n = len(comp.parts)
        rows.append(
            ResultRow(model, f"composite/{comp.name}", "centered_acc", comp.value, n, comp.stderr,
                      "composite")
        )  # fmt: skip
    return rows


def write_results(
    lakehouse: Lakehouse,
    rows: list[ResultRow],
    *,
    run_id: str,
    model_slug: str,
    config_json: str,
    config_hash: str,
    inputs: list[Ref],
    table: str = "eval_results",
    counts: dict[str, int] | None = None,
    started_at: dt.datetime | None = None,
) -> TableVersion:
    """Append ``rows`` in one idempotent commit and record the run (stage ``evaluate:<model>``)."""
    stage = f"evaluate:{model_slug}"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    df = lakehouse.spark.createDataFrame(
        [r.as_tuple(config_hash, run_id, now) for r in rows], EVAL_RESULTS
    )
    with recorded_run(
        lakehouse,
        stage,
        run_id,
        inputs,
        json.loads(config_json),
        config_hash=config_hash,
        started_at=started_at,
        announce=False,
    ) as record:
        commit = CommitInfo(run_id, stage, config_hash, record.code_version, tuple(inputs))
        schema = EVAL_RESULTS
        written = lakehouse.write(TableWrite(table, df, mode="append", schema=schema), commit)
        record.outputs = [written]
        record.counts = {"rows": len(rows), **(counts or {})}
    return written


def read_results(lakehouse: Lakehouse, model: str, table: str = "eval_results") -> list[dict]:
    """The latest run's rows for ``model`` (an artifact id) as dicts."""
    if not lakehouse.exists(table):
        raise FileNotFoundError(f"no {table} table under {lakehouse.root}: evaluate a model first")
    df = lakehouse.read(table).filter(F.col("model") == model)
    latest = first_value(df.agg(F.max("created_at")))
    if latest is None:
        raise FileNotFoundError(f"no evaluation of {model} in {table}")
    run = first_value(df.filter(F.col("created_at") == latest).select("run_id"))
    return [r.asDict() for r in df.filter(F.col("run_id") == run).collect()]


def config_json(cfg, tasks: list[str], limit: int | None) -> str:
    return json.dumps(
        {"config": cfg.model_dump(mode="json"), "tasks": tasks, "limit": limit}, sort_keys=True
    )
