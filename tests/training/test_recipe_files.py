"""Recipe files: loading with errors naming the file, overrides, paths, saving, shipped recipes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from data_pipeline.lakehouse.config import ConfigError
from training.recipe_files import load_recipe, recipe_from_dict, save_recipe

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


def test_bad_value_names_the_file(tmp_path):
    path = write(tmp_path, {**BASE, "duration": "10 lightyears"})
    with pytest.raises(ConfigError, match="not a duration") as err:
        load_recipe(path)
    assert str(path.resolve()) in str(err.value)


def test_paths_resolve_against_the_recipe_folder(tmp_path):
    data = {
        **BASE,
        "model": {"tokenizer": "tok"},
        "data": {"shards": "s", "eval_shards": "s3://b/e"},
    }
    recipe = load_recipe(write(tmp_path, data))
    assert recipe.name == "r" and recipe.origin == str((tmp_path / "r.yaml").resolve())
    assert recipe.data.shards == str((tmp_path / "s").resolve())
    assert recipe.model.tokenizer == str((tmp_path / "tok").resolve())
    assert recipe.data.eval_shards == "s3://b/e"
    assert recipe.model.source == "smollm2-135m-instruct"  # a known name, not a path
    memory = recipe_from_dict({**BASE, "data": {"shards": "artifact:mds@2"}}, "mem", tmp_path)
    assert memory.data.shards == "artifact:mds@2" and memory.origin == "mem"


def test_overrides(tmp_path):
    path = write(tmp_path, BASE)
    one = load_recipe(path, ["optimizer.lr=0.002", "monitoring.loss_spike.action=stop"])
    assert one.optimizer.lr == 0.002 and one.monitoring.loss_spike.action == "stop"
    assert load_recipe(path).run_name() != one.run_name()
    with pytest.raises(ConfigError, match=r"KEY\.PATH=VALUE"):
        load_recipe(path, ["optimizer.lr"])
    with pytest.raises(ConfigError, match="'duration' is not a section"):
        load_recipe(path, ["duration.x=1"])


def test_saved_recipe_loads_back_the_same(tmp_path):
    recipe = load_recipe(write(tmp_path, BASE), ["seed=3"])
    saved = save_recipe(recipe, tmp_path / "run" / "recipe.yaml")
    again = load_recipe(saved)
    assert again.dump() == recipe.dump() and again.run_name() == recipe.run_name()


def test_a_bare_name_is_found_in_conf_train(monkeypatch):
    monkeypatch.chdir(REPO)
    assert load_recipe("sft").origin == str(REPO / "conf" / "train" / "sft.yaml")


@pytest.mark.parametrize("name", ["cpt", "sft", "pretrain", "demo_cpt"])
def test_shipped_recipes_validate(name):
    recipe = load_recipe(REPO / "conf" / "train" / f"{name}.yaml")
    assert recipe.kind == ("cpt" if name == "demo_cpt" else name)
    assert recipe.total_batches(samples_per_epoch=10_000) is not None
