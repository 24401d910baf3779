"""The evaluate-compare flow end to end on two tiny models, a real lakehouse and Prefect."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from tests.evaluation.conftest import (  # noqa: F401  (fixtures)
    tiny_model_dir,
    tokenizer,
    tokenizer_dir,
    tuned_model_dir,
)

HELDOUT_TEXTS = {
    ("wiki_en", "en"): ["The river flows through the old town.", "Paris is the capital of France."],
    ("wiki_fr", None): ["La rivière traverse la vieille ville.", "Paris est la capitale."],
}


def _heldout(lakehouse):
    """``heldout_docs`` shaped by the tokenize stage's own ``heldout_frame``: wiki_en documents
    carry a ``lang`` column value, wiki_fr ones only their source's ``lang_hint`` (as when no
    language-ID stage ran before tokenize); one document is not held out."""
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    from data_pipeline.lakehouse import schemas
    from data_pipeline.lakehouse.tables import CommitInfo, TableWrite
    from data_pipeline.tokenize.outputs import HELDOUT, HELDOUT_SCHEMA, heldout_frame

    now = dt.datetime(2025, 1, 1)
    rows = []
    for (src, lang), texts in HELDOUT_TEXTS.items():
        meta = {"lang_hint": "fr"} if src == "wiki_fr" else {}
        for i, text in enumerate([*texts, "A training document."]):
            doc = (f"{src}-{i}", text, src, "CC", f"file://{src}", meta, now, "r0")
            rows.append((*doc, lang, i < len(texts)))
    schema = StructType(
        [
            *schemas.DOCUMENT_FIELDS,
            StructField("lang", StringType(), True),
            StructField("heldout", BooleanType(), False),
        ]
    )
    docs = lakehouse.spark.createDataFrame(rows, schema)
    commit = CommitInfo("r0", "tokenize", "h", "test")
    return lakehouse.write(TableWrite(HELDOUT, heldout_frame(docs), schema=HELDOUT_SCHEMA), commit)


@pytest.fixture
def eval_config(tmp_path, spark):
    from data_pipeline.lakehouse.tables import Lakehouse

    project = tmp_path / "pipeline.yaml"
    project.write_text(
        yaml.safe_dump(
            {
                "lakehouse": str(tmp_path / "lakehouse"),
                "artifacts": str(tmp_path / "artifacts"),
                "spark": {"master": "local[2]", "shuffle_partitions": 2},
                "sources": [],
                "pipeline": ["ingest"],
            }
        )
    )
    _heldout(Lakehouse(str(tmp_path / "lakehouse"), spark))
    with open("conf/eval/eval.yaml") as fh:
        repo_eval = yaml.safe_load(fh)
    repo_eval.update(
        project=str(project),
        gauntlet=str(__import__("pathlib").Path("conf/eval/gauntlet.yaml").resolve()),
        mlflow={"tracking_uri": str(tmp_path / "mlruns"), "experiment": "test-eval"},
        golden=None,
        judge=None,
        latency=None,
    )
    path = tmp_path / "eval.yaml"
    path.write_text(yaml.safe_dump(repo_eval))
    return path, tmp_path


def test_compare_flow_writes_results_runs_chart_and_mlflow(
    eval_config,
    tiny_model_dir,  # noqa: F811
    tuned_model_dir,  # noqa: F811
    spark,
    prefect_harness,
):
    from data_pipeline.lakehouse.lineage import RunLog
    from data_pipeline.lakehouse.tables import Lakehouse
    from flows.evaluate import compare_models

    config, root = eval_config
    out = compare_models(
        base=str(tiny_model_dir), tuned=str(tuned_model_dir), config=str(config),
        tasks=["copa", "lambada"], limit=2,
    )  # fmt: skip
    table = out["table"]
    assert "general (forgetting)" in table and "domain (learning)" in table
    assert "composite/gauntlet_v0.3" in table
    assert "domain/source=wiki_fr/lang=fr" in table
    lake = Lakehouse(str(root / "lakehouse"), spark)
    rows = lake.read("eval_results").collect()
    models = {r["model"] for r in rows}
    assert len(models) == 2 and all(m.startswith("artifact:model_dir/") for m in models)
    copa = [r for r in rows if r["task"] == "copa" and r["metric"] == "acc"]
    assert len(copa) == 2 and all(r["n"] == 2 for r in copa)
    bpb = [r for r in rows if r["metric"] == "bits_per_byte"]
    assert len(bpb) == 4 and all(r["value"] > 0 and r["n"] == 2 for r in bpb)
    groups = {r["task"] for r in bpb}
    assert groups == {"domain/source=wiki_en/lang=en", "domain/source=wiki_fr/lang=fr"}
    assert len({r["config_hash"] for r in rows}) == 1
    assert {r["run_id"] for r in rows} == {out["run_id"]}
    runs = [r for r in RunLog(lake).all() if r.stage.startswith("evaluate:")]
    assert len(runs) == 2
    for run in runs:
        inputs = {t.table for t in run.inputs}
        assert "heldout_docs" in inputs and any(t.startswith("artifact:") for t in inputs)
        assert json.loads(run.config_json)["limit"] == 2
    assert (root / "artifacts" / "eval" / out["run_id"] / "categories.png").stat().st_size > 1000
    mlruns = list((root / "mlruns").rglob("eval.composite.gauntlet_v0.3"))
    assert len(mlruns) == 2
