"""The SFT learning-rate sweep flow: every trial a Prefect task, results as artifacts.

``sweep_flow`` resolves the recipe's artifacts once (like ``ladder train``), runs the coarse
grid, then the fine grid around the best (``training.sweep``), and publishes the ranked table
(``ladder-sweep``) and a link to the loss-curve plot (``ladder-sweep-curves``).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_table_artifact

from training.sweep import Trial, run_sweep, run_trial

DEFAULT_COARSE = [1e-5, 3e-5, 1e-4, 3e-4]


@task(name="sweep-trial", task_run_name="{round_name}-lr{lr}")
def trial_task(base, lr: float, round_name: str, batches: int | None, out) -> Trial:
    return run_trial(base, lr, round_name, batches, out)


def _as_task(base, lr, round_name, batches, out) -> Trial:
    return trial_task(base, lr, round_name, batches, out)


def sweep_plain(
    recipe: str = "conf/train/sft.yaml",
    coarse: list[float] | None = None,
    fine_points: int = 2,
    trial_batches: int | None = None,
    overrides: list[str] | None = None,
    record: bool = False,
) -> dict[str, Any]:
    """``sweep_flow`` without Prefect (``--no-prefect``): the same trials, no artifacts."""
    from training.records import prepare

    resolved = prepare(recipe, overrides, record=record)
    result = run_sweep(resolved.paths.recipe, coarse or DEFAULT_COARSE, fine_points, trial_batches)
    print(f"best learning rate {result['best_lr']:.3g}; table and plot in {result['folder']}")
    return result


@flow(name="sweep", log_prints=True)
def sweep_flow(
    recipe: str = "conf/train/sft.yaml",
    coarse: list[float] | None = None,
    fine_points: int = 2,
    trial_batches: int | None = None,
    overrides: list[str] | None = None,
    record: bool = False,
) -> dict[str, Any]:
    """Coarse then fine learning-rate grid of short runs of ``recipe``, ranked by eval loss."""
    from training.records import prepare

    resolved = prepare(recipe, overrides, record=record)
    result = run_sweep(
        resolved.paths.recipe,
        coarse or DEFAULT_COARSE,
        fine_points,
        trial_batches,
        runner=_as_task,
    )
    create_table_artifact(
        key="ladder-sweep",
        table=result["table"],
        description=f"learning-rate sweep of {recipe}: best lr {result['best_lr']:.3g}",
    )
    create_link_artifact(
        key="ladder-sweep-curves",
        link=result["plot"] if "://" in result["plot"] else f"file://{result['plot']}",
        link_text="loss curves of every trial",
    )
    print(f"best learning rate {result['best_lr']:.3g}; table and plot in {result['folder']}")
    return result
