"""MLflow records of evaluations: a base model's own run, a trained model's training run."""

from __future__ import annotations

import os
from pathlib import Path

from evaluation.models import ModelRef
from evaluation.tracking import log_to_mlflow

ROWS = [{"kind": "task", "task": "copa", "metric": "acc", "value": 0.6}]


def test_trained_model_metrics_land_on_its_run_after_a_base_model_was_logged(tmp_path):
    import mlflow

    uri = (tmp_path / "mlruns").as_uri()
    client = mlflow.MlflowClient(uri)
    training = client.create_run(client.create_experiment("ladder-train"))
    client.log_metric(training.info.run_id, "loss", 3.0)
    environment = dict(os.environ)
    base = ModelRef("model:base", Path(tmp_path))
    base_run = log_to_mlflow(base, ROWS, uri, "ladder-eval", "eval-1")
    tuned = ModelRef("model:tuned", Path(tmp_path), mlflow_run_id=training.info.run_id)
    tuned_run = log_to_mlflow(tuned, ROWS, uri, "ladder-eval", "eval-1")

    # nothing leaks into the environment of later child processes (training runs)
    assert dict(os.environ) == environment
    assert tuned_run == training.info.run_id != base_run
    trained = client.get_run(tuned_run).data
    assert trained.metrics["eval.copa.acc"] == 0.6 and trained.metrics["loss"] == 3.0
    assert trained.tags["ladder.eval_run"] == "eval-1"
    base_data = client.get_run(base_run)
    assert base_data.data.metrics["eval.copa.acc"] == 0.6
    assert client.get_experiment(base_data.info.experiment_id).name == "ladder-eval"
