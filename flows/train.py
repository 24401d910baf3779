"""The train flow: pin inputs, launch training in its own process(es), record the run.

``run_training`` is the plain function (``ladder train --no-prefect``); ``train_flow`` wraps
the same steps as Prefect tasks with a result table artifact. The training process is
``python -m training.run`` (or ``composer -n G -m training.run`` for G GPUs on this machine);
Spark stays in this process for the records before and after. ``demo_train`` is the short
continued-pretraining run of ``make demo``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from data_pipeline.lakehouse.names import RunId
from training.orchestrate import run_training

DEMO_RECIPE = "conf/train/demo_cpt.yaml"


def result_rows(result: dict[str, Any]) -> list[dict[str, str]]:
    keys = (
        "run_name", "status", "batches", "tokens", "final_loss", "final_eval_loss",
        "truncated_tokens", "resumed_at_batch", "hf_model", "checkpoint", "mlflow_run_id",
        "seconds",
    )  # fmt: skip
    rows = [{"item": k, "value": str(result.get(k))} for k in keys]
    rows += [{"item": "input", "value": t} for t in result.get("inputs", [])]
    rows += [{"item": "output", "value": t} for t in result.get("outputs", [])]
    return rows


@task(name="train", task_run_name="train-{recipe}")
def train_task(
    recipe: str,
    overrides: list[str] | None,
    run_name: str | None,
    gpus: int,
    record: bool,
    flow_run_id: str | None,
) -> dict[str, Any]:
    return run_training(recipe, overrides, run_name, gpus, record, flow_run_id)


@flow(name="train", log_prints=True)
def train_flow(
    recipe: str = DEMO_RECIPE,
    overrides: list[str] | None = None,
    run_name: RunId | None = None,
    gpus: int = 1,
    record: bool = True,
) -> dict[str, Any]:
    """Train one recipe (resuming its run if it exists) and publish a result artifact."""
    from prefect.runtime import flow_run

    result = train_task(recipe, overrides, run_name, gpus, record, str(flow_run.id or ""))
    create_table_artifact(
        key="ladder-train", table=result_rows(result), description=f"run {result['run_name']}"
    )
    create_markdown_artifact(
        key="ladder-train-report",
        markdown=(
            f"# Training run `{result['run_name']}`\n\n"
            f"- final loss {result.get('final_loss')}; eval loss "
            f"{result.get('initial_eval_loss')} -> {result.get('final_eval_loss')}\n"
            f"- {result.get('batches')} batches, {result.get('tokens')} tokens\n"
            f"- model: `{result.get('hf_model')}`\n"
            f"- MLflow run `{result.get('mlflow_run_id')}` at {result.get('mlflow_tracking_uri')}\n"
        ),
    )
    get_run_logger().info("trained %s: %s", result["run_name"], result.get("hf_model"))
    return result


def demo_train(recipe: str = DEMO_RECIPE, use_prefect: bool = True) -> dict[str, Any]:
    """``make demo``'s training step: a short CPU continued pretraining of the base model on
    the demo shards; prints where the HF model and the MLflow run are."""
    path = Path(recipe).resolve()
    result = train_flow(str(path)) if use_prefect else run_training(str(path))
    print("\nTraining")
    print(f"  run:        {result['run_name']}  ({result.get('batches')} batches)")
    print(f"  final loss: {result.get('final_loss')}")
    print(f"  eval loss:  {result.get('initial_eval_loss')} -> {result.get('final_eval_loss')}")
    print(f"  HF model:   {result.get('hf_model')}")
    print(f"  MLflow:     {result.get('mlflow_tracking_uri')}  run {result.get('mlflow_run_id')}")
    return result
