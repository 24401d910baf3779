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
    """Log ``rows`` as metrics; returns the MLflow run id used."""
    import mlflow

    client_uri = model.mlflow_tracking_uri or tracking_uri
    mlflow.set_tracking_uri(client_uri)
    metrics = {metric_key(r): float(r["value"]) for r in rows if r["value"] is not None}
    if model.mlflow_run_id:  # the client API: the fluent one refuses a run of another
        # experiment than the one set for base-model runs earlier in the process
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        mlflow.MlflowClient(client_uri).log_batch(
            model.mlflow_run_id,
            metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
            tags=[RunTag("ladder.eval_run", run_id)],
        )
        return model.mlflow_run_id
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=f"eval {model.artifact_id}") as active:
        mlflow.set_tags({"ladder.model": model.artifact_id, "ladder.eval_run": run_id})
        mlflow.log_metrics(metrics)
        return active.info.run_id
