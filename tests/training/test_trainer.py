"""Composer training on MDS shards: loss falls, outputs load, a killed `ladder train` resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import torch

from tests.training.conftest import BATCHES, recipe_dict, write_recipe
from training.callbacks.loss_history import read_history
from training.checkpoints import checkpoints_by_batch

REPO = Path(__file__).resolve().parents[2]


def losses(run: dict) -> np.ndarray:
    history, _ = read_history(Path(run["run_dir"]) / "metrics.jsonl")
    assert sorted(history) == list(range(1, BATCHES + 1))
    return np.array([history[b]["loss"] for b in sorted(history)])


def test_trains_on_mds_shards(reference_run):
    run = reference_run
    assert run["status"] == "completed" and run["batches"] == BATCHES
    assert run["tokens"] == BATCHES * 8 * 32
    assert run["truncated_tokens"] == BATCHES * 8  # 33-token sequences cut to seq_len 32
    seq = losses(run)
    assert seq[-5:].mean() < seq[:5].mean() - 0.3, seq
    assert np.isfinite(run["final_eval_loss"])
    assert run["initial_eval_loss"] > run["final_eval_loss"] + 0.3  # evaluated before batch 1
    saved = checkpoints_by_batch(Path(run["run_dir"]) / "checkpoints")
    assert sorted(saved) == list(range(4, BATCHES + 1, 4))
    assert Path(run["checkpoint"]).name.endswith(f"-ba{BATCHES}-rank0.pt")
    assert not (Path(run["run_dir"]) / "data_cache").exists()  # decompressed copies removed


def test_compressed_shards_are_not_modified(reference_run, shard_set):
    wiki = sorted(p.name for p in (shard_set / "wiki" / "train").iterdir())
    assert wiki and all(n == "index.json" or n.endswith(".zstd") for n in wiki), wiki


def test_exported_model_reloads_with_the_trained_weights(reference_run):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(reference_run["hf_model"])
    assert model.config.num_hidden_layers == 2 and model.config.vocab_size == 512
    state = torch.load(reference_run["checkpoint"], map_location="cpu", weights_only=False)
    trained = state["state"]["model"]["model.model.layers.1.mlp.down_proj.weight"]
    assert torch.equal(model.model.layers[1].mlp.down_proj.weight, trained)


def test_mlflow_run_has_loss_lr_and_eval(reference_run):
    from mlflow import MlflowClient

    client = MlflowClient(reference_run["mlflow_tracking_uri"])
    run_id = reference_run["mlflow_run_id"]
    loss = client.get_metric_history(run_id, "loss/train/total")
    assert len(loss) == BATCHES
    assert client.get_metric_history(run_id, "lr-DecoupledAdamW/group0")
    assert client.get_metric_history(run_id, "throughput/tokens_per_sec")
    assert client.get_metric_history(run_id, "metrics/eval/LanguageCrossEntropy")
    params = client.get_run(run_id).data.params
    assert params["optimizer.lr"] == "0.01" and params["seq_len"] == "32"


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_killed_ladder_train_resumes_to_the_same_losses(reference_run, shard_set, tmp_path):
    """SIGKILL `ladder train` after its batch-8 checkpoint, start it again, compare losses."""
    recipe = write_recipe(tmp_path / "tiny.yaml", recipe_dict(shard_set, tmp_path))
    command = [
        str(Path(sys.executable).with_name("ladder")), "train", str(recipe),
        "--no-prefect", "--no-record",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL)
    checkpoints = tmp_path / "runs"
    _wait_for(
        lambda: any(checkpoints.glob("*/checkpoints/ep*-ba8-rank0.pt")) or first.poll() is not None,
        240,
        "the batch-8 checkpoint",
    )
    children = psutil.Process(first.pid).children(recursive=True)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert children, "ladder train should run training in a child process"
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, "the training process must die with `ladder train`"
    run_dir = next(checkpoints.iterdir())
    assert not (run_dir / "result.json").exists(), "killed before the end"
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((run_dir / "result.json").read_text())
    assert 8 <= result["resumed_at_batch"] < BATCHES
    assert result["batches"] == BATCHES
    np.testing.assert_allclose(losses(result), losses(reference_run), rtol=1e-5, atol=1e-6)
    assert result["final_loss"] == pytest.approx(reference_run["final_loss"], rel=1e-5)
