"""The plain steps of a training run, shared by ``ladder train --no-prefect`` and the flow.

prepare (resolve artifacts, base model, run name) -> record the run as running -> launch the
training process(es) -> register outputs and record the end. Imports neither Prefect nor, when
``record`` is off, Spark, so a bare ``ladder train`` starts fast.
"""

from __future__ import annotations

from typing import Any

from training.launch import local_command, node_commands, run_local
from training.records import PreparedRun, prepare, record_outputs, recorded_training


def launch(run: PreparedRun, gpus: int = 1) -> dict[str, Any]:
    """Run the training process(es) to the end; the run's ``result.json``."""
    previous = run.paths.read_result()
    if previous is not None and previous.get("status") == "completed":
        return previous
    code = run_local(local_command(run.paths.recipe, run.run_name, gpus))
    result = run.paths.read_result()
    if code != 0 or result is None:
        where = run.paths.remote_checkpoints or run.paths.checkpoints
        raise RuntimeError(
            f"training of run {run.run_name} exited with code {code}; starting it again with "
            f"the same recipe resumes from its last checkpoint ({where})"
        )
    return result


def run_training(
    recipe: str,
    overrides: list[str] | None = None,
    run_name: str | None = None,
    gpus: int = 1,
    record: bool = True,
    flow_run_id: str | None = None,
) -> dict[str, Any]:
    """Prepare, record as running, train (or resume), register outputs, record the end."""
    run = prepare(recipe, overrides, run_name, record)
    with recorded_training(run, flow_run_id) as started:
        result = launch(run, gpus)
        outputs = record_outputs(run, started, result)
    return {**result, "inputs": [str(t) for t in run.inputs], "outputs": [str(t) for t in outputs]}


def print_launch(
    recipe: str,
    overrides: list[str] | None,
    nodes: int,
    gpus_per_node: int,
    master_addr: str = "$MASTER_ADDR",
    master_port: int = 29500,
    run_name: str | None = None,
    record: bool = True,
) -> list[str]:
    """Resolve the recipe into its run folder and return the per-node launcher commands."""
    run = prepare(recipe, overrides, run_name, record)
    return node_commands(
        run.paths.recipe, run.run_name, nodes, gpus_per_node, master_addr, master_port
    )
