"""The train and sweep flows on a real Prefect test server, real Spark/Delta and Composer.

The train flow resolves a shard-set artifact and the held-out table, launches training in its
own process, registers the model and checkpoint and records the run with its lineage; the sweep
flow runs a 2 x 2 learning-rate grid (coarse, then fine) of tiny trials.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from tests.tokenizers import base_tokenizer
from tests.training.shards import write_shard_set


def _artifacts(key: str) -> list:
    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )


def _tiny(tmp_path: Path, **extra) -> dict:
    return {
        "kind": "pretrain",
        "name": "tiny",
        "model": {"preset": "llama-tiny"},
        "seq_len": 32,
        "global_batch_size": 8,
        "duration": "8ba",
        "optimizer": {"lr": 0.01},
        "scheduler": {"warmup": "2ba"},
        "eval_interval": "4ba",
        "save_interval": "4ba",
        "monitoring": {"progress_bar": False, "mlflow": {"tracking_uri": str(tmp_path / "ml")}},
        **extra,
    }


def test_train_flow_records_run_outputs_and_lineage(
    prefect_harness, spark, write_project, tmp_path, pytestconfig
):
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry
    from data_pipeline.lakehouse.lineage import RunLog, format_lineage, lineage
    from data_pipeline.lakehouse.tables import Lakehouse
    from flows.train import train_flow

    project = write_project([])
    lakehouse = Lakehouse(str(tmp_path / "lakehouse"), spark)
    shards = write_shard_set(tmp_path / "mds" / "tiny", 33)
    registry = ArtifactRegistry(lakehouse)
    registry.register("mds-tiny", "mds", str(shards), run_id="tok-1", stage="tokenize")
    docs = [
        ("wiki", f"w{i}", f"Held-out article {i} about rivers and lakes. " * 8) for i in range(20)
    ]
    spark.createDataFrame(docs, "source string, doc_id string, text string").write.format(
        "delta"
    ).save(lakehouse.path("heldout_docs"))
    recipe = tmp_path / "tiny.yaml"
    model = {
        "preset": "llama-tiny",
        "config": {"vocab_size": 49152},  # the SmolLM2 tokenizer's ids for the held-out text
        "tokenizer": str(base_tokenizer(pytestconfig)),
    }
    data = {"shards": "artifact:mds-tiny", "split": "train", "eval_shards": "table:heldout_docs"}
    raw = _tiny(tmp_path, project=str(project), model=model, data=data)
    raw["monitoring"]["mlflow"]["register_model"] = "tiny-lm"
    recipe.write_text(yaml.safe_dump(raw))

    result = train_flow(str(recipe))
    assert result["status"] == "completed" and result["batches"] == 8
    assert result["final_eval_loss"] is not None
    assert result["mlflow_model_version"] == "1"  # registered in the file store's registry
    assert result["inputs"] == ["artifact:mds-tiny@1", "heldout_docs@0"]
    run = RunLog(lakehouse).get(result["run_name"], "train")
    assert run.status == "succeeded" and run.counts["batches"] == 8
    assert [str(t) for t in run.outputs] == [
        f"artifact:model/{result['run_name']}@1",
        f"artifact:checkpoint/{result['run_name']}@1",
    ]
    model_artifact = registry.get(f"model/{result['run_name']}")
    assert Path(model_artifact.uri, "config.json").is_file()
    assert model_artifact.manifest["inputs"] == result["inputs"]
    text = format_lineage(lineage(lakehouse, f"artifact:model/{result['run_name']}"))
    assert "stage train" in text and "artifact:mds-tiny@1" in text and "heldout_docs@0" in text
    assert _artifacts("ladder-train")

    again = train_flow(str(recipe))  # the finished run is recorded again, not retrained
    assert again["run_name"] == result["run_name"] and again["outputs"] == result["outputs"]


def test_sweep_flow_runs_a_two_by_two_grid(prefect_harness, tmp_path):
    from flows.sweep import sweep_flow

    shards = write_shard_set(tmp_path / "shards", 33)
    data = {"shards": str(shards), "split": "train", "eval_split": "val", "eval_batches": 2}
    recipe = tmp_path / "sft.yaml"
    recipe.write_text(
        yaml.safe_dump(_tiny(tmp_path, data=data, output_root=str(tmp_path / "runs")))
    )
    result = sweep_flow(str(recipe), coarse=[1e-3, 1e-2], fine_points=2, trial_batches=6)
    table = result["table"]
    assert len(table) == 4
    assert sorted(r["round"] for r in table) == ["coarse", "coarse", "fine", "fine"]
    assert [r["eval_loss"] for r in table] == sorted(r["eval_loss"] for r in table)
    assert all(r["metric"] == "eval_loss" for r in table)
    best_coarse = min((r for r in table if r["round"] == "coarse"), key=lambda r: r["eval_loss"])
    fine = sorted(r["lr"] for r in table if r["round"] == "fine")
    lo, hi = (1e-3 / 10, 1e-2) if best_coarse["lr"] == 1e-3 else (1e-3, 1e-2 * 10)
    assert lo < fine[0] < fine[1] < hi and best_coarse["lr"] not in fine
    assert result["best_lr"] == table[0]["lr"]
    assert Path(result["plot"]).stat().st_size > 10_000
    assert (Path(result["folder"]) / "trials.csv").read_text().count("\n") == 5
    assert _artifacts("ladder-sweep") and _artifacts("ladder-sweep-curves")
