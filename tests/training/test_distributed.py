"""A real multi-process run: the `composer` launcher starts 2 CPU processes (gloo backend).

With the same global batch and seed they must reach the losses of the 1-process reference run
(each rank takes half of every global batch; DDP averages the gradients), and the sample ledger
must show each rank reading its own part of the shards.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from tests.training.conftest import BATCHES, recipe_dict, write_recipe
from training.callbacks.loss_history import read_history
from training.callbacks.sample_ledger import read_ledger


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def losses(run_dir: Path) -> np.ndarray:
    history, _ = read_history(run_dir / "metrics.jsonl")
    return np.array([history[b]["loss"] for b in range(1, BATCHES + 1)])


def test_two_processes_reach_the_one_process_losses(reference_run, shard_set, tmp_path):
    recipe = write_recipe(tmp_path / "tiny.yaml", recipe_dict(shard_set, tmp_path))
    composer = str(Path(sys.executable).with_name("composer"))
    command = [
        composer, "-n", "2", "--master_port", str(free_port()),
        "--stderr", str(tmp_path / "rank{rank}.err"),
        "-m", "training.run", str(recipe), "--run-name", "ddp",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = tmp_path / "runs" / "ddp"
    result = json.loads((run_dir / "result.json").read_text())
    assert result["world_size"] == 2 and result["device_batch"] == 4
    assert result["batches"] == BATCHES and result["tokens"] == reference_run["tokens"]

    np.testing.assert_allclose(
        losses(run_dir), losses(Path(reference_run["run_dir"])), rtol=2e-4, atol=1e-5
    )

    ledger = read_ledger(run_dir / "ledger")
    single = read_ledger(Path(reference_run["run_dir"]) / "ledger")[0]
    assert sorted(ledger) == [0, 1]
    for batch in range(1, BATCHES + 1):
        rank0, rank1 = ledger[0][batch], ledger[1][batch]
        assert len(rank0) == len(rank1) == 4
        assert Counter(rank0 + rank1) == Counter(single[batch])  # same global batch
    seen = [set(d for b in ledger[r].values() for d in b) for r in (0, 1)]
    assert seen[0] and seen[1] and seen[0] != seen[1]
