"""The trained model as a Hugging Face folder (``save_pretrained``, safetensors + tokenizer).

Without FSDP rank 0 saves the model it holds; with FSDP every rank joins in gathering the full
state dict (``torch.distributed.checkpoint.state_dict``) and rank 0 loads it into a fresh
model on CPU and saves that. ``dtype`` casts the saved weights (float32 by default).

The folder may be an object-store URI: the model is saved to its local mirror
(``training.paths.local_mirror``) and uploaded file by file with ``config.json`` last, so a
prefix that ``from_pretrained`` can load is a complete one.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import torch

from data_pipeline.lakehouse import storage
from training.paths import complete_marker, local_copy, local_mirror

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def _composer_model(state):
    model = state.model
    return getattr(model, "module", model) if not state.fsdp_enabled else model


def export_hf_model(state, out: str | Path, dtype: str = "float32") -> str | None:
    """Save the trained model of a Composer ``state`` to a folder or URI; returns it on rank 0."""
    from composer.utils import dist

    out = storage.absolute(str(out))
    out_dir = local_mirror(out)
    composer_model = _composer_model(state)
    if state.fsdp_enabled:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        full = get_model_state_dict(
            state.model, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
        )
        if dist.get_global_rank() != 0:
            return None
        from transformers import AutoModelForCausalLM

        hf = AutoModelForCausalLM.from_config(composer_model.model.config)
        hf.load_state_dict({k.removeprefix("model."): v for k, v in full.items()}, strict=False)
    else:
        if dist.get_global_rank() != 0:
            return None
        hf = composer_model.model
    if DTYPES[dtype] != torch.float32:
        hf = copy.deepcopy(hf).to(DTYPES[dtype])
    staging = out_dir.with_name(f"{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    hf.save_pretrained(str(staging), safe_serialization=True)
    tokenizer = getattr(composer_model, "tokenizer", None)
    if tokenizer is not None:
        tokenizer.save_pretrained(str(staging))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(staging, out_dir)
    if storage.is_remote(out):
        upload_model(out_dir, out)
    return out


def upload_model(folder: Path, uri: str) -> None:
    """Replace ``uri`` with the files of ``folder``, ``config.json`` last; marks the local copy
    as a complete mirror of ``uri``."""
    storage.remove_tree(uri)
    complete_marker(folder).unlink(missing_ok=True)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in sorted(files, key=lambda p: p.name == "config.json"):
        target = storage.join(uri, path.relative_to(folder).as_posix())
        with open(path, "rb") as source, storage.open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 22)
    complete_marker(folder).write_text(uri)


def register_mlflow_model(tracking_uri: str, run_id: str, folder: str | Path, name: str) -> str:
    """Log ``folder`` (local or a URI) to the MLflow run and register it as a model version."""
    from mlflow import MlflowClient, register_model, set_tracking_uri

    folder = local_copy(str(folder))
    set_tracking_uri(tracking_uri)
    MlflowClient(tracking_uri).log_artifacts(run_id, str(folder), "hf_model")
    version = register_model(f"runs:/{run_id}/hf_model", name)
    MlflowClient(tracking_uri).set_registered_model_alias(name, "current", version.version)
    return str(version.version)
