"""Recipes: validation with clear errors, durations, overrides, defaults, shipped recipes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from data_pipeline.lakehouse.config import ConfigError
from training.recipe import load_recipe, parse_time, recipe_from_dict

REPO = Path(__file__).resolve().parents[2]
BASE = {
    "kind": "cpt",
    "data": {"shards": "shards"},
    "global_batch_size": 8,
    "seq_len": 128,
    "duration": "1000ba",
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_unknown_key_is_refused_naming_key_and_file(tmp_path):
    path = write(tmp_path, {**BASE, "optimizer": {"lr": 1e-4, "weight_decy": 0.1}})
    with pytest.raises(ConfigError) as err:
        load_recipe(path)
    message = str(err.value)
    assert str(path.resolve()) in message
    assert "optimizer.weight_decy" in message and "did you mean 'weight_decay'" in message


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"duration": "10 lightyears"}, "not a duration"),
        ({"duration": "0.5dur"}, "unit 'dur' not allowed"),
        ({"microbatch_size": 0}, "microbatch_size must be >= 1"),
        ({"kind": "pretrain"}, "trains from scratch"),
        ({"data": {"shards": "a", "mix": "b"}}, "exactly one of data.shards"),
        ({"model": {"source": "x", "preset": "llama-tiny"}}, "either model.source"),
        ({"scheduler": {"warmup": "5ep"}}, "unit 'ep' not allowed"),
    ],
)
def test_bad_values_are_explained(tmp_path, change, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_recipe(write(tmp_path, {**BASE, **change}))


def test_durations_and_defaults(tmp_path):
    assert parse_time("2e9tok") == (2e9, "tok")
    assert parse_time("1_000ba") == (1000.0, "ba")
    recipe = load_recipe(write(tmp_path, {**BASE, "duration": "1e6tok", "seed": 5}))
    assert recipe.total_batches() == 977  # ceil(1e6 / (8 x 128))
    assert recipe.model.source == "smollm2-135m-instruct"
    assert recipe.data.shuffle_seed == 5 and recipe.data.shuffle_algo == "py1e"
    assert recipe.data.shards == str((tmp_path / "shards").resolve())
    assert recipe.optimizer.name == "decoupled_adamw" and recipe.precision == "auto"
    epochs = load_recipe(write(tmp_path, {**BASE, "duration": "2ep"}))
    assert epochs.total_batches(samples_per_epoch=100) == 24 and epochs.total_batches() is None
    sft = load_recipe(write(tmp_path, {**BASE, "kind": "sft"}))
    assert sft.data.loss_mask_column == "loss_mask"


def test_overrides_and_stable_run_name(tmp_path):
    path = write(tmp_path, BASE)
    one = load_recipe(path, ["optimizer.lr=0.002", "monitoring.loss_spike.action=stop"])
    assert one.optimizer.lr == 0.002 and one.monitoring.loss_spike.action == "stop"
    assert one.run_name() == f"r-{one.config_hash()[:8]}"
    assert load_recipe(path).run_name() == load_recipe(path).run_name()
    assert load_recipe(path).run_name() != one.run_name()
    with pytest.raises(ConfigError, match=r"KEY\.PATH=VALUE"):
        load_recipe(path, ["optimizer.lr"])


def test_artifact_references_are_left_for_the_flow():
    recipe = recipe_from_dict({**BASE, "data": {"shards": "artifact:mds-corpus@2"}}, "mem")
    assert recipe.artifact_refs() == {"data.shards": "artifact:mds-corpus@2"}


@pytest.mark.parametrize("name", ["cpt", "sft", "pretrain", "demo_cpt"])
def test_shipped_recipes_validate(name):
    recipe = load_recipe(REPO / "conf" / "train" / f"{name}.yaml")
    assert recipe.kind == ("cpt" if name == "demo_cpt" else name)
    assert recipe.total_batches(samples_per_epoch=10_000) is not None
