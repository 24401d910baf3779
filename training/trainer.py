"""Builds and runs the Composer ``Trainer`` of a recipe.

One run lives in ``<output_dir>/<run_name>/``: ``checkpoints/`` (Composer ``save_folder``;
``autoresume`` continues from ``latest-rank0.pt`` when the same run is started again),
``metrics.jsonl`` (loss history), ``hf_model/`` (the exported model), ``ledger/`` (optional
sample ledger), ``data_cache/`` (decompressed shards while it runs) and ``result.json``
(written by rank 0 when the run ends). The same function runs in one process or in each
process the ``composer`` launcher starts. When ``<output_dir>`` is an object-store URI, working
files stay in a local scratch folder and checkpoints, the model and the result go to the URI
(``training.paths``, ``training.checkpoint_sync``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from training.paths import RunPaths, package_models_root
from training.recipe import Recipe
from training.recipe_sections import parse_time

log = logging.getLogger(__name__)


def run_paths(recipe: Recipe, run_name: str | None = None) -> RunPaths:
    """``<output_dir>/<run_name>``; a run name that could leave ``output_dir`` is refused."""
    from data_pipeline.lakehouse import storage
    from data_pipeline.lakehouse.names import check_name

    name = check_name(run_name or recipe.run_name(), "run name")
    return RunPaths.at(storage.join(recipe.output_dir(), name))


def local_artifacts(recipe: Recipe) -> Path | None:
    """The folder for base models and tokenizers of the recipe's project (a local folder even
    when the artifacts live in an object store: ``training.paths.package_models_root``)."""
    return package_models_root(recipe.project_roots()[0])


def detect_device(recipe: Recipe) -> str:
    if recipe.device != "auto":
        return recipe.device
    import torch

    return "gpu" if torch.cuda.is_available() else "cpu"


def resolve_precision(recipe: Recipe, device: str) -> str:
    """``auto``: ``amp_bf16`` on GPU, ``fp32`` on CPU (CPU autocast is slower than fp32)."""
    if recipe.precision != "auto":
        return recipe.precision
    return "amp_bf16" if device == "gpu" else "fp32"


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def device_batch_size(recipe: Recipe, world: int) -> int:
    if recipe.global_batch_size % world:
        raise ValueError(
            f"{recipe.origin}: global_batch_size {recipe.global_batch_size} is not divisible "
            f"by the {world} training processes"
        )
    return recipe.global_batch_size // world


def _to_batches(value: str, recipe: Recipe) -> str:
    """Token/sample durations as whole batches; batch, epoch and share-of-run kept."""
    number, unit = parse_time(value)
    if unit == "tok":
        return f"{max(1, round(number / recipe.tokens_per_batch))}ba"
    if unit == "sp":
        return f"{max(1, round(number / recipe.global_batch_size))}ba"
    if unit in ("ba", "ep"):
        return f"{int(number)}{unit}"
    return value


def parallelism(recipe: Recipe, device: str) -> dict[str, Any] | None:
    """Composer ``parallelism_config``: FSDP on GPUs unless turned off."""
    fsdp = recipe.fsdp
    if fsdp.enabled == "off" or (fsdp.enabled == "auto" and device != "gpu"):
        return None
    return {
        "fsdp": {
            "sharding_strategy": fsdp.sharding_strategy,
            "mixed_precision": fsdp.mixed_precision,
            "activation_checkpointing": fsdp.activation_checkpointing,
            "activation_cpu_offload": fsdp.activation_cpu_offload,
            "limit_all_gathers": fsdp.limit_all_gathers,
            "state_dict_type": fsdp.state_dict_type,
            "use_orig_params": True,
        }
    }


def callbacks(recipe: Recipe, paths: RunPaths) -> list:
    from composer.callbacks import LRMonitor, SpeedMonitor

    from training.callbacks import LossHistory, LossSpikeDetector, NaNGuard, SampleLedger

    mon = recipe.monitoring
    out: list = [
        SpeedMonitor(window_size=mon.speed_window, gpu_flops_available=mon.gpu_flops_available),
        LRMonitor(),
        LossHistory(paths.metrics),
    ]
    if mon.nan != "off":
        out.append(NaNGuard(mon.nan, paths.checkpoints, mon.loss_spike.max_rollbacks))
    spike = mon.loss_spike
    if spike.enabled:
        out.append(
            LossSpikeDetector(
                spike.window,
                spike.multiplier,
                spike.patience,
                spike.action,
                paths.checkpoints,
                spike.max_rollbacks,
            )
        )
    if mon.sample_ledger:
        out.append(SampleLedger(paths.ledger))
    return out


def loggers(recipe: Recipe, run_name: str) -> list:
    mlflow = recipe.monitoring.mlflow
    if not mlflow.enabled:
        return []
    from composer.loggers import MLFlowLogger

    return [
        MLFlowLogger(
            experiment_name=mlflow.experiment,
            run_name=run_name,
            tracking_uri=recipe.mlflow_uri(),
            tags={"run_name": run_name, "recipe": recipe.name or "", "kind": recipe.kind},
            resume=True,
            log_system_metrics=False,
            synchronous=True,
        )
    ]


def flat_params(value: Any, prefix: str = "") -> dict[str, str]:
    """Recipe as flat ``a.b.c -> str`` pairs for MLflow parameters."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(flat_params(item, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): str(value)}


def build_trainer(
    recipe: Recipe, run_name: str, paths: RunPaths, extra_callbacks: list | None = None
):
    """(trainer, context dict) for ``recipe``; seeds RNGs before the model is built."""
    from composer import Trainer
    from composer.optim import CosineAnnealingWithWarmupScheduler, DecoupledAdamW
    from composer.utils import dist, reproducibility

    from training.loaders import build_evaluator, build_train_data
    from training.model import build_hf_model, wrap_model

    if recipe.artifact_refs():
        raise ValueError(
            f"{recipe.origin}: {recipe.artifact_refs()} name artifacts; run `ladder train` "
            "(it resolves them) or give folders"
        )
    device = detect_device(recipe)
    # The process group first: streaming would otherwise open (and close) its own for each
    # dataset with remote streams, which hangs when two datasets do it in a row.
    dist.initialize_dist(device)
    reproducibility.seed_all(recipe.seed)
    hf_model, tokenizer, source = build_hf_model(recipe.model, local_artifacts(recipe), device)
    model = wrap_model(hf_model, tokenizer)
    world = world_size()
    device_batch = device_batch_size(recipe, world)
    pad = getattr(tokenizer, "pad_token_id", None) if tokenizer is not None else None
    pad = pad if pad is not None else (hf_model.config.eos_token_id or 0)
    if isinstance(pad, list):
        pad = pad[0]
    ledger = recipe.monitoring.sample_ledger
    train = build_train_data(recipe, device_batch, int(pad), paths.data_cache, ledger)
    evaluator = build_evaluator(recipe, device_batch, int(pad), paths.data_cache)
    total = recipe.total_batches(train.samples_per_epoch * train.rows_per_sample)
    max_duration = f"{total}ba" if total is not None else recipe.duration
    opt = recipe.optimizer
    optimizer = DecoupledAdamW(
        model.parameters(), lr=opt.lr, betas=opt.betas, eps=opt.eps, weight_decay=opt.weight_decay
    )
    scheduler = CosineAnnealingWithWarmupScheduler(
        t_warmup=_to_batches(recipe.scheduler.warmup, recipe), alpha_f=recipe.scheduler.alpha_f
    )
    microbatch: int | str = recipe.microbatch_size
    if microbatch == "auto" and device != "gpu":
        microbatch = device_batch
    algorithms = []
    if opt.grad_clip_norm:
        from composer.algorithms import GradientClipping

        algorithms.append(GradientClipping("norm", opt.grad_clip_norm))
    trainer = Trainer(
        model=model,
        train_dataloader=train.spec,
        eval_dataloader=evaluator,
        eval_interval=recipe.eval_interval if evaluator is not None else 1,
        max_duration=max_duration,
        optimizers=optimizer,
        schedulers=scheduler,
        algorithms=algorithms,
        device=device,
        precision=resolve_precision(recipe, device),
        device_train_microbatch_size=microbatch,
        parallelism_config=parallelism(recipe, device),
        seed=recipe.seed,
        run_name=run_name,
        save_folder=str(paths.checkpoints),
        save_interval=recipe.save_interval,
        save_num_checkpoints_to_keep=recipe.save_num_checkpoints_to_keep,
        save_overwrite=False,
        autoresume=True,
        loggers=loggers(recipe, run_name),
        callbacks=callbacks(recipe, paths) + list(extra_callbacks or []),
        progress_bar=recipe.monitoring.progress_bar,
        log_to_console=False,
        python_log_level=None,
    )
    if paths.remote_checkpoints is not None:  # after Composer's saver: pushes what it saved
        from training.checkpoint_sync import CheckpointPush

        keep = recipe.save_num_checkpoints_to_keep
        trainer.state.callbacks.append(
            CheckpointPush(paths.checkpoints, paths.remote_checkpoints, keep)
        )
    context = {
        "device": device,
        "world_size": world,
        "device_batch": device_batch,
        "max_duration": max_duration,
        "phases": train.phases,
        "rows_per_stored_sequence": train.rows_per_sample,
        "source_model": str(source) if source else None,
        "parameters": model.param_count.total,
        "active_parameters": model.param_count.active,
    }
    return trainer, context
