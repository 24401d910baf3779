"""Shared training fixtures: a tiny shard set and one uninterrupted reference run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.training.shards import write_shard_set

SEQ = 32
BATCHES = 24
GLOBAL_BATCH = 8

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def recipe_dict(shards: Path, out: Path, **overrides) -> dict:
    """A from-scratch tiny Llama recipe over ``shards`` writing under ``out``."""
    recipe = {
        "kind": "pretrain",
        "name": "tiny",
        "output_root": str(out / "runs"),
        "model": {"preset": "llama-tiny"},
        "data": {
            "shards": str(shards),
            "split": "train",
            "eval_split": "val",
            "eval_batches": 2,
        },
        "seq_len": SEQ,
        "global_batch_size": GLOBAL_BATCH,
        "duration": f"{BATCHES}ba",
        "optimizer": {"lr": 0.01},
        "scheduler": {"warmup": "4ba"},
        "eval_interval": "12ba",
        "save_interval": "4ba",
        "save_num_checkpoints_to_keep": -1,
        "seed": 7,
        "monitoring": {
            "progress_bar": False,
            "sample_ledger": True,
            "mlflow": {"tracking_uri": str(out / "mlruns")},
        },
    }
    for key, value in overrides.items():
        node = recipe
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return recipe


def write_recipe(path: Path, recipe: dict) -> Path:
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def shard_set(tmp_path_factory) -> Path:
    """Two streams (wiki, news) with train/ and val/ splits of 33-token sequences."""
    return write_shard_set(tmp_path_factory.mktemp("shards") / "corpus", SEQ + 1)


@pytest.fixture(scope="session")
def reference_run(shard_set, tmp_path_factory) -> dict:
    """The uninterrupted in-process run every resume and multi-process test compares with."""
    from training.recipe_files import recipe_from_dict
    from training.run import train

    out = tmp_path_factory.mktemp("reference")
    recipe = recipe_from_dict(recipe_dict(shard_set, out), str(out / "tiny.yaml"))
    return train(recipe)
