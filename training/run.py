"""The training entry point: ``python -m training.run RECIPE`` (or under ``composer -n G -m``).

Runs (or resumes) one recipe to its end, exports the HF model and writes ``result.json``.
Starting the same recipe again continues the same run from its last checkpoint (the run name
is derived from the recipe's content); a finished run is not trained again.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from data_pipeline.lakehouse import storage
from training.callbacks.loss_history import read_history
from training.checkpoint_sync import pull_latest, push, remote_latest
from training.checkpoints import prune, remove_unconfirmed, set_aside_unconfirmed
from training.launch import DIE_WITH_PARENT, die_with_parent
from training.recipe import Recipe
from training.recipe_files import load_recipe, save_recipe
from training.reuse import check_same_recipe
from training.trainer import RunPaths, build_trainer, flat_params, run_paths

log = logging.getLogger(__name__)
COMPLETED = "completed"


def _finished(trainer) -> bool:
    state = trainer.state
    unit = state.max_duration.unit
    return state.max_duration <= state.timestamp.get(unit)


def _mlflow_run_id(trainer) -> str | None:
    for logger in trainer.logger.destinations:
        run_id = getattr(logger, "_run_id", None)
        if run_id:
            return str(run_id)
    return None


def _guard_events(trainer) -> dict[str, Any]:
    from training.callbacks import LossSpikeDetector, NaNGuard

    out: dict[str, Any] = {"loss_spikes": [], "nan_events": 0}
    for callback in trainer.state.callbacks:
        if isinstance(callback, LossSpikeDetector):
            out["loss_spikes"] = list(callback.spikes)
        elif isinstance(callback, NaNGuard):
            out["nan_events"] = callback.events
    return out


def train(
    recipe: Recipe, run_name: str | None = None, extra_callbacks: list | None = None
) -> dict[str, Any]:
    """Train ``recipe`` to its end (resuming when its run exists); the run's result record.

    ``extra_callbacks``: more Composer callbacks (for embedding and tests)."""
    from composer.utils import dist

    from training.export import export_hf_model, register_mlflow_model

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    run_name = run_name or recipe.run_name()
    paths = run_paths(recipe, run_name)
    previous = paths.read_result()
    if previous is not None and previous.get("status") == COMPLETED:
        log.info("run %s already completed; nothing to train", run_name)
        return previous
    paths.scratch.mkdir(parents=True, exist_ok=True)
    rank0 = int(os.environ.get("RANK", "0")) == 0
    if rank0:
        check_same_recipe(paths, recipe)
        if not paths.recipe.is_file():
            save_recipe(recipe, paths.recipe)
    if int(os.environ.get("LOCAL_RANK", "0")) == 0:
        if paths.remote_checkpoints is not None:
            pull_latest(paths.remote_checkpoints, paths.checkpoints)
        set_aside_unconfirmed(paths.checkpoints)
    start = time.perf_counter()
    trainer, context = build_trainer(recipe, run_name, paths, extra_callbacks)
    resumed_at = int(trainer.state.timestamp.batch)
    if rank0:  # resumed: checkpoints of earlier attempts count against the limit too
        prune(paths.checkpoints, recipe.save_num_checkpoints_to_keep)
    trainer.logger.log_hyperparameters(flat_params(recipe.dump()))
    if recipe.eval_at_start and resumed_at == 0 and trainer.state.evaluators:
        trainer.eval()  # the starting model's eval loss, logged at batch 0
    if not _finished(trainer):
        trainer.fit()
    if rank0:
        prune(paths.checkpoints, recipe.save_num_checkpoints_to_keep)
        remove_unconfirmed(paths.checkpoints)  # leftovers of killed attempts: no longer needed
    hf_dir = (
        export_hf_model(trainer.state, paths.hf_model, recipe.export.dtype)
        if (recipe.export.hf_model)
        else None
    )
    mlflow_run = _mlflow_run_id(trainer)
    state = trainer.state
    batches, tokens = int(state.timestamp.batch), int(state.timestamp.token)
    guards = _guard_events(trainer)
    trainer.close()
    dist.barrier()
    if dist.get_global_rank() != 0:
        return {"status": COMPLETED, "run_name": run_name}
    shutil.rmtree(paths.data_cache, ignore_errors=True)
    history, evals = read_history(paths.metrics)
    last = history[max(history)] if history else {}
    checkpoint = _final_checkpoint(paths)
    result = {
        "status": COMPLETED,
        "run_name": run_name,
        "recipe": recipe.name,
        "kind": recipe.kind,
        "config_hash": recipe.config_hash(),
        "batches": batches,
        "tokens": tokens,
        "resumed_at_batch": resumed_at,
        "final_loss": last.get("loss"),
        "initial_eval_loss": evals[0]["eval_loss"] if 0 in evals else None,
        "final_eval_loss": evals[max(evals)]["eval_loss"] if evals else None,
        "truncated_tokens": last.get("truncated_tokens", 0),
        "hf_model": str(hf_dir) if hf_dir else None,
        "checkpoint": checkpoint,
        "run_dir": paths.root,
        "scratch_dir": str(paths.scratch),
        "mlflow_tracking_uri": recipe.mlflow_uri() if recipe.monitoring.mlflow.enabled else None,
        "mlflow_run_id": mlflow_run,
        "mlflow_model_version": None,
        "seconds": round(time.perf_counter() - start, 1),
        **guards,
        **context,
    }
    name = recipe.monitoring.mlflow.register_model
    if name and mlflow_run and hf_dir:
        result["mlflow_model_version"] = register_mlflow_model(
            result["mlflow_tracking_uri"], mlflow_run, hf_dir, name
        )
    write_result(paths, result)
    return result


def _final_checkpoint(paths: RunPaths) -> str | None:
    """The run's last confirmed checkpoint: its URI when pushed to a remote root."""
    if paths.remote_checkpoints is not None:
        push(paths.checkpoints, paths.remote_checkpoints)  # a run resumed after its last save
        return remote_latest(paths.remote_checkpoints)
    latest = paths.checkpoints / "latest-rank0.pt"
    return str(latest.resolve()) if latest.exists() else None


def write_result(paths: RunPaths, result: dict[str, Any]) -> None:
    """Publish the run's records, then ``result.json`` last (its presence means done)."""
    paths.publish()
    storage.replace_text(paths.result, json.dumps(result, indent=2, sort_keys=True, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.run", description="Train (or resume) one recipe."
    )
    parser.add_argument("recipe", help="recipe YAML (conf/train/NAME.yaml or a resolved copy)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a key")
    parser.add_argument("--run-name", help="run name (default: recipe name + content hash)")
    args = parser.parse_args(argv)
    if os.environ.get(DIE_WITH_PARENT) == "1":
        die_with_parent()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    recipe = load_recipe(Path(args.recipe), args.set)
    result = train(recipe, args.run_name)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(result, sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
