"""Ablation YAML, variant stage settings, the token-budget rule and the cost plan (no Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from data_pipeline.lakehouse.config import ConfigError
from training.ablation import (
    BudgetError,
    budget_batches,
    check_budget,
    first_changed_stage,
    load_ablation,
    plan_text,
    variant_stages,
)

REPO = Path(__file__).resolve().parents[2]
CHAIN = ["ingest", "filter", "dedup", "tokenize"]


def _write(tmp_path: Path, **extra) -> Path:
    raw = {
        "name": "t",
        "project": str(REPO / "conf/pipeline.yaml"),
        "stages": CHAIN,
        "base": {"tokenize.input_table": "deduped_docs"},
        "variants": [
            {"name": "default"},
            {"name": "loose", "overrides": {"filter.filters": [{"langid": {"min_score": 0.3}}]}},
            {"name": "nodedup", "overrides": {"dedup.fuzzy": False}},
        ],
        "proxy": {"recipe": str(REPO / "conf/train/ablate_proxy.yaml"), "tokens": 5000},
        **extra,
    }
    path = tmp_path / "ablate.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_demo_config_loads_with_three_variants_and_two_seeds():
    cfg = load_ablation(REPO / "conf/ablate/demo.yaml")
    assert len(cfg.variants) >= 3 and cfg.proxy.seed_list() == [1, 2]
    assert Path(cfg.proxy.recipe).is_file() and Path(cfg.eval.config).is_file()
    assert cfg.reference == "default" and cfg.concurrency == 1


def test_variant_settings_layer_project_base_and_overrides(tmp_path):
    cfg = load_ablation(_write(tmp_path))
    default, loose, nodedup = cfg.variants
    base = variant_stages(cfg, default, CHAIN)
    assert base["tokenize"]["input_table"] == "deduped_docs"
    assert base["dedup"]["incremental"] is False  # variants never share dedup state
    assert base["filter"]["per_source"]  # the project's own filter.yaml is kept
    assert variant_stages(cfg, loose, CHAIN)["filter"]["filters"] == [
        {"langid": {"min_score": 0.3}}
    ]
    assert variant_stages(cfg, nodedup, CHAIN)["dedup"]["fuzzy"] is False
    assert base["dedup"].get("fuzzy") is not False  # one variant's override stays its own
    assert first_changed_stage(cfg, default, CHAIN) is None
    assert first_changed_stage(cfg, loose, CHAIN) == "filter"
    assert first_changed_stage(cfg, nodedup, CHAIN) == "dedup"


def test_bad_configs_name_the_file_and_the_problem(tmp_path):
    with pytest.raises(ConfigError, match=r"ablate\.yaml.*(seed|extra|not permitted)"):
        load_ablation(_write(tmp_path, seed=3))
    with pytest.raises(ConfigError, match="repeated"):
        load_ablation(_write(tmp_path, variants=[{"name": "a"}, {"name": "a"}]))
    with pytest.raises(ConfigError, match="heldout_from"):
        load_ablation(_write(tmp_path, eval={"heldout_from": "nope"}))
    cfg = load_ablation(_write(tmp_path, variants=[{"name": "a"}, {"name": "b"}]))
    cfg.variants[1].overrides = {"train.lr": 1}
    with pytest.raises(ConfigError, match="names no stage"):
        variant_stages(cfg, cfg.variants[1], CHAIN)


def test_equal_token_budget_rounds_up_to_whole_batches_and_refuses_short_data():
    assert budget_batches(5000, 2048) == 3  # every proxy: 3 x 2,048 = 6,144 tokens
    assert budget_batches(4096, 2048) == 2
    check_budget("enough", 6144, 6144)
    with pytest.raises(BudgetError, match=r"'short'.*6,143 tokens.*budget of 6,144.*refused"):
        check_budget("short", 6143, 6144)


def test_plan_lists_each_variant_and_the_total(tmp_path):
    text = plan_text(load_ablation(_write(tmp_path)))
    assert "3 variants x 2 seed(s)" in text
    assert "loose            stages rerun: filter, dedup, tokenize" in text
    assert "nodedup          stages rerun: dedup, tokenize" in text
    assert "total             6 proxy runs" in text
