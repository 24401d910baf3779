"""Recipe models: validation with clear errors, durations, defaults, run names, references."""

from __future__ import annotations

import pytest

from data_pipeline.lakehouse.config import ConfigError, parse_model
from training.recipe import Recipe
from training.recipe_sections import parse_time

BASE = {
    "kind": "cpt",
    "data": {"shards": "/data/shards"},
    "global_batch_size": 8,
    "seq_len": 128,
    "duration": "1000ba",
}


def recipe(**change) -> Recipe:
    return parse_model(Recipe, {**BASE, **change}, "mem")


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
def test_bad_values_are_explained(change, fragment):
    with pytest.raises(ConfigError, match=fragment):
        recipe(**change)


def test_durations_and_defaults():
    assert parse_time("2e9tok") == (2e9, "tok")
    assert parse_time("1_000ba") == (1000.0, "ba")
    tokens = recipe(duration="1e6tok", seed=5)
    assert tokens.total_batches() == 977  # ceil(1e6 / (8 x 128))
    assert tokens.model.source == "smollm2-135m-instruct"
    assert tokens.data.shuffle_seed == 5 and tokens.data.shuffle_algo == "py1e"
    assert tokens.optimizer.name == "decoupled_adamw" and tokens.precision == "auto"
    epochs = recipe(duration="2ep")
    assert epochs.total_batches(samples_per_epoch=100) == 24 and epochs.total_batches() is None
    assert recipe(kind="sft").data.loss_mask_column == "loss_mask"


def test_run_name_is_stable_per_content():
    one = recipe(name="r", optimizer={"lr": 0.002})
    assert one.run_name() == f"r-{one.config_hash()[:8]}"
    assert recipe(name="r").run_name() == recipe(name="r").run_name()
    assert recipe(name="r").run_name() != one.run_name()


def test_artifact_references_are_left_for_the_flow():
    refs = recipe(data={"shards": "artifact:mds-corpus@2", "eval_shards": "table:heldout_docs"})
    assert refs.artifact_refs() == {
        "data.shards": "artifact:mds-corpus@2",
        "data.eval_shards": "table:heldout_docs",
    }
