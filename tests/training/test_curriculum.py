"""A mix with two curriculum phases (training/mix.py) over a shard set of 64-token sequences
trained at seq_len 32: phases play in order, each stored sequence becomes two rows, and a run
that crashes mid-phase resumes to the same losses and rows as an uninterrupted one."""

from __future__ import annotations

import gc
import json
import zlib

import numpy as np
import pytest
import yaml
from composer.core import Callback

from tests.training.conftest import recipe_dict
from tests.training.shards import sequences, write_mds
from training.callbacks.loss_history import read_history
from training.callbacks.sample_ledger import read_ledger
from training.recipe_files import recipe_from_dict
from training.run import train

STORED, SEQ, PER_STREAM, BATCHES = 64, 32, 40, 12


@pytest.fixture(scope="module")
def mix_file(tmp_path_factory):
    """Shard set ``low`` (tokens < 256) and ``high`` (tokens >= 256) with a manifest, and a mix
    training on ``low`` for the first half of the run, then on ``high``."""
    root = tmp_path_factory.mktemp("curriculum")
    version = root / "corpus" / "v1"
    for seed, name in enumerate(("low", "high")):
        write_mds(version / name, PER_STREAM, STORED, seed=seed + 40, compression="zstd")
    streams = {n: {"sequences": PER_STREAM, "sources": {}} for n in ("low", "high")}
    (version / "manifest.json").write_text(json.dumps({"seq_len": STORED, "streams": streams}))
    (root / "corpus" / "LATEST").write_text("v1")
    mix = {
        "data": str(root / "corpus"),
        "phases": [
            {"name": "first", "duration": 0.5, "streams": {"low": {"proportion": 1.0}}},
            {"name": "second", "duration": 0.5, "streams": {"high": {"proportion": 1.0}}},
        ],
    }
    path = root / "mix.yaml"
    path.write_text(yaml.safe_dump(mix))
    return path


def row_digests(seed: int) -> set[int]:
    rows = set()
    for seq in sequences(PER_STREAM, STORED, seed):
        for half in (seq[:SEQ], seq[SEQ:]):
            rows.add(zlib.crc32(half.astype(np.int64).tobytes()))
    return rows


def recipe(mix_file, out):
    raw = recipe_dict(mix_file.parent, out, duration=f"{BATCHES}ba", save_interval="3ba")
    raw["data"] = {"mix": str(mix_file)}
    return recipe_from_dict(raw, "curriculum")


class CrashAt(Callback):
    def __init__(self, batch: int):
        self.batch = batch

    def batch_end(self, state, logger):
        if int(state.timestamp.batch) == self.batch:
            raise RuntimeError(f"simulated crash after batch {self.batch}")


def test_phases_in_order_split_rows_and_resume(mix_file, tmp_path):
    whole = train(recipe(mix_file, tmp_path / "whole"))
    assert whole["rows_per_stored_sequence"] == 2
    assert [p["samples"] for p in whole["phases"]] == [24, 24]  # 6 batches x 4 stored each
    ledger = read_ledger(f"{whole['run_dir']}/ledger")[0]
    low, high = row_digests(40), row_digests(41)
    assert all(set(ledger[b]) <= low for b in range(1, 7))
    assert all(set(ledger[b]) <= high for b in range(7, BATCHES + 1))
    assert whole["truncated_tokens"] == 0 and whole["tokens"] == BATCHES * 8 * SEQ

    crashed = recipe(mix_file, tmp_path / "crashed")
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(crashed, extra_callbacks=[CrashAt(8)])
    gc.collect()  # let the crashed run's datasets release their shared memory
    resumed = train(crashed)
    assert resumed["resumed_at_batch"] == 6
    first, _ = read_history(f"{whole['run_dir']}/metrics.jsonl")
    second, _ = read_history(f"{resumed['run_dir']}/metrics.jsonl")
    np.testing.assert_allclose(
        [second[b]["loss"] for b in range(1, BATCHES + 1)],
        [first[b]["loss"] for b in range(1, BATCHES + 1)],
        rtol=1e-5,
    )
    assert read_ledger(f"{resumed['run_dir']}/ledger")[0] == ledger
