"""Learning-rate sweep for SFT: a coarse grid, then a finer grid around the best.

Each trial is a short Composer run of the recipe (``trial_batches`` batches, its own run
folder under the sweep folder, so re-running a sweep reuses finished trials) ranked by its final
eval loss (the mean of the last quarter of train losses when the recipe has no eval data, and
the table says so). The fine grid spreads ``fine_points`` learning rates log-uniformly between
the best coarse value's neighbours (one grid step beyond it at the grid's edges). Outputs:
``trials.csv`` and ``loss_curves.png`` in the sweep folder.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.config import stable_hash
from data_pipeline.lakehouse.figures import pyplot, save_png
from training.paths import local_mirror
from training.recipe import Recipe
from training.recipe_files import load_recipe


@dataclass
class Trial:
    """One finished trial: its learning rate, round, score and loss curve."""

    lr: float
    round: str
    run_name: str
    score: float
    metric: str
    final_loss: float | None
    curve: list[tuple[int, float]] = field(default_factory=list)

    def row(self) -> dict:
        return {
            "lr": self.lr,
            "round": self.round,
            "run_name": self.run_name,
            "metric": self.metric,
            "eval_loss": self.score,
            "final_loss": self.final_loss,
        }


def fine_grid(coarse: list[float], best: float, points: int) -> list[float]:
    """``points`` learning rates log-uniformly between ``best``'s neighbours in ``coarse``."""
    grid = sorted(set(coarse))
    i = grid.index(best)
    step = (grid[1] / grid[0]) if len(grid) > 1 else 10.0
    lower = grid[i - 1] if i > 0 else best / step
    upper = grid[i + 1] if i < len(grid) - 1 else best * step
    values = np.geomspace(lower, upper, points + 2)[1:-1]
    return [float(f"{v:.3g}") for v in values if not math.isclose(v, best, rel_tol=1e-3)]


def trial_recipe(base: Recipe, lr: float, batches: int | None, out: str | Path, tag: str) -> Recipe:
    """The base recipe with this trial's learning rate and length, writing under ``out``."""
    update: dict = {
        "optimizer": base.optimizer.model_copy(update={"lr": lr}),
        "output_root": str(out),
        "name": f"{base.name or 'sweep'}-{tag}",
    }
    if batches:
        update["duration"] = f"{batches}ba"
    return base.model_copy(update=update)


def score(result: dict, curve: list[tuple[int, float]]) -> tuple[float, str]:
    if result.get("final_eval_loss") is not None:
        return float(result["final_eval_loss"]), "eval_loss"
    tail = [loss for _, loss in curve[-max(1, len(curve) // 4) :]]
    return float(np.mean(tail)), "train_loss_last_quarter"


def run_trial(base: Recipe, lr: float, round_name: str, batches: int | None, out: str) -> Trial:
    """Train one trial in this process (resuming or reusing its run) and score it."""
    from training.callbacks.loss_history import read_history
    from training.run import train

    recipe = trial_recipe(base, lr, batches, out, f"{round_name}-lr{lr:.3g}")
    result = train(recipe)
    history, _ = read_history(
        Path(result.get("scratch_dir") or result["run_dir"]) / "metrics.jsonl"
    )
    curve = [(b, r["loss"]) for b, r in history.items() if r.get("loss") is not None]
    value, metric = score(result, curve)
    return Trial(lr, round_name, result["run_name"], value, metric, result.get("final_loss"), curve)


def sweep_dir(base: Recipe, coarse: list[float], fine_points: int, batches: int | None) -> str:
    """The sweep's folder (or URI) under the recipe's output root."""
    key = stable_hash([base.config_hash(), sorted(coarse), fine_points, batches])[:8]
    return storage.join(base.output_dir(), "sweeps", f"{base.name or 'sweep'}-{key}")


def run_sweep(
    recipe_path: str | Path,
    coarse: list[float],
    fine_points: int = 2,
    trial_batches: int | None = None,
    overrides: list[str] | None = None,
    runner: Callable[..., Trial] = run_trial,
) -> dict:
    """Coarse round, fine round around the best, ranking, CSV and plot. ``runner`` runs one
    trial (the flow passes a Prefect task)."""
    base = load_recipe(recipe_path, overrides)
    if base.artifact_refs():
        raise ValueError(f"{base.origin}: resolve {base.artifact_refs()} first (ladder sweep does)")
    if len(coarse) < 2:
        raise ValueError("give at least two coarse learning rates")
    out = sweep_dir(base, coarse, fine_points, trial_batches)
    trials = [runner(base, lr, "coarse", trial_batches, out) for lr in sorted(coarse)]
    best = min(trials, key=lambda t: t.score).lr
    for lr in fine_grid(coarse, best, fine_points):
        trials.append(runner(base, lr, "fine", trial_batches, out))
    ranked = sorted(trials, key=lambda t: t.score)
    local = local_mirror(out)  # the folder itself, or a local copy uploaded below
    local.mkdir(parents=True, exist_ok=True)
    table = [t.row() for t in ranked]
    with open(local / "trials.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    plot_curves(ranked, local / "loss_curves.png")
    if storage.is_remote(out):
        for name in ("trials.csv", "loss_curves.png"):
            storage.write_bytes(storage.join(out, name), (local / name).read_bytes())
    plot = storage.join(out, "loss_curves.png")
    return {"best_lr": ranked[0].lr, "table": table, "folder": out, "plot": plot}


def plot_curves(trials: list[Trial], path: Path) -> Path:
    """Training-loss curves of every trial, one line per learning rate."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for trial in sorted(trials, key=lambda t: t.lr):
        batches, losses = zip(*trial.curve, strict=True) if trial.curve else ((), ())
        style = "-" if trial.round == "coarse" else "--"
        ax.plot(
            batches, losses, style, label=f"lr {trial.lr:.3g} ({trial.round}): {trial.score:.3f}"
        )
    ax.set_xlabel("batch")
    ax.set_ylabel("training loss")
    ax.set_title("learning-rate sweep (legend: final eval loss)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, str(path))
    return path
