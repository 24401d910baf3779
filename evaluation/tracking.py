"""MLflow metrics of an evaluation, on the model's own training run when it has one.

Keys: ``eval.<task>.<metric>`` for benchmark and golden-set metrics, ``eval.category.<name>``,
``eval.composite.<name>``, ``eval.domain.<group>.bits_per_byte``, ``eval.latency.<metric>``
(characters outside letters, digits, ``._-/`` become ``_``). A model without a training run
(a base model) gets a run named after its artifact id in the ``ladder-eval`` experiment.
"""

from __future__ import annotations

import re
import time

from evaluation.models import ModelRef

_BAD = re.compile(r"[^A-Za-z0-9_.\-/ ]")


def metric_key(row: dict) -> str:
    kind, task, metric = row["kind"], row["task"], row["metric"]
    if kind in ("category", "composite"):
        key = f"eval.{task.replace('/', '.')}"
    else:
        key = f"eval.{task}.{metric}"
    return _BAD.sub("_", key)


def log_to_mlflow(
    model: ModelRef, rows: list[dict], tracking_uri: str, experiment: str, run_id: str
) -> str:
    """Log ``rows`` as metrics; returns the MLflow run id used.

    Only the client API is used: the fluent one keeps an active experiment in this process and
    exports it as ``MLFLOW_EXPERIMENT_ID`` to every child process (training runs included)."""
    import mlflow
    from mlflow.entities import Metric, RunTag

    client = mlflow.MlflowClient(model.mlflow_tracking_uri or tracking_uri)
    now = int(time.time() * 1000)
    metrics = [
        Metric(metric_key(r), float(r["value"]), now, 0) for r in rows if r["value"] is not None
    ]
    if model.mlflow_run_id:  # the model's own training run
        client.log_batch(model.mlflow_run_id, metrics, tags=[RunTag("ladder.eval_run", run_id)])
        return model.mlflow_run_id
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    tags = {"ladder.model": model.artifact_id, "ladder.eval_run": run_id}
    run = client.create_run(experiment_id, run_name=f"eval {model.artifact_id}", tags=tags)
    client.log_batch(run.info.run_id, metrics)
    client.set_terminated(run.info.run_id)
    return run.info.run_id
