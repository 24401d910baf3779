"""``ladder ablate`` end to end on real Spark, Delta, Prefect, Composer and the scorer.

Four variants of a tiny pipeline: ``base``; ``exact`` (dedup without MinHash: filter is a cache
hit, dedup and tokenize rerun); ``starved`` (only French documents: fewer tokens than the
budget, so refused); ``broken`` (dedup reads a table that does not exist, so it fails). The two
others are trained (one seed, a few batches) and scored; the runs table shows ingest once;
``ablation_results`` and lineage are checked; a rerun without Prefect reuses everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.corpus import jsonl_bytes, texts
from tests.tokenizers import base_tokenizer

REPO = Path(__file__).resolve().parents[2]
CHAIN = ["ingest", "filter", "dedup", "tokenize"]
BATCHES = 6  # budget 1,500 tokens -> ceil(1500 / (8 x 32)) = 6 batches = 1,536 tokens


def _setup(tmp_path: Path, write_project, tokenizer: str) -> Path:
    stages = {
        "filter": {"filters": [{"langid": {"languages": ["en", "fr"]}}]},
        "tokenize": {
            "tokenizer": tokenizer,
            "seq_len": 128,
            "heldout": {"fraction": 0.1, "min_docs": 1, "max_share": 0.5},
        },
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "en.jsonl").write_bytes(jsonl_bytes(texts(40)))
    (tmp_path / "in" / "fr.jsonl").write_bytes(jsonl_bytes(texts(4, "fr")))
    sources = [
        {"name": lang, "path": str(tmp_path / "in" / f"{lang}.jsonl"), "format": "jsonl",
         "licence": "CC-BY-SA-4.0"}
        for lang in ("en", "fr")
    ]  # fmt: skip
    project = write_project(sources, stages=stages, pipeline=CHAIN)
    recipe = {
        "kind": "pretrain",
        "project": str(project),
        "model": {"preset": "llama-tiny", "tokenizer": tokenizer,
                  "config": {"vocab_size": 49152}},
        "data": {"shards": "artifact:mds-corpus", "long_samples": "split"},
        "seq_len": 32, "global_batch_size": 8, "microbatch_size": 8,
        "optimizer": {"lr": 0.01}, "scheduler": {"warmup": "1ba"}, "duration": "1ba",
        "precision": "fp32", "device": "cpu", "eval_at_start": False,
        "eval_interval": "100ba", "save_interval": "100ba",
        "monitoring": {"progress_bar": False, "mlflow": {"enabled": False}},
    }  # fmt: skip
    (tmp_path / "proxy.yaml").write_text(yaml.safe_dump(recipe))
    evaluation = {"project": str(project), "gauntlet": str(REPO / "conf/eval/gauntlet.yaml"),
                  "engine": {"batch_tokens": 512}, "mlflow": {"enabled": False}}  # fmt: skip
    (tmp_path / "eval.yaml").write_text(yaml.safe_dump(evaluation))
    ablation = {
        "name": "t",
        "project": str(project),
        "base": {"tokenize.input_table": "deduped_docs"},
        "variants": [
            {"name": "base"},
            {"name": "exact", "overrides": {"dedup.fuzzy": False}},
            {"name": "starved", "overrides": {"filter.filters": [
                {"langid": {"languages": ["fr"]}}]}},
            {"name": "broken", "overrides": {"dedup.input_table": "no_such_table"}},
        ],
        "proxy": {"recipe": "proxy.yaml", "tokens": 1500, "seeds": 1},
        "eval": {"config": "eval.yaml", "tasks": [], "max_docs": 8,
                 "bootstrap_samples": 200},
    }  # fmt: skip
    path = tmp_path / "ablate.yaml"
    path.write_text(yaml.safe_dump(ablation, sort_keys=False))
    return path


@pytest.mark.slow
def test_ablation_shares_ingest_keeps_budget_survives_failures_and_records_lineage(
    prefect_harness, spark, tmp_path, write_project, request
):
    from data_pipeline.lakehouse.lineage import RunLog, format_lineage, lineage
    from data_pipeline.lakehouse.tables import Lakehouse
    from flows.ablate import ablate, ablate_plain

    config = _setup(tmp_path, write_project, str(base_tokenizer(request.config)))
    out = ablate(str(config), run_id="ab1")
    variants = out["variants"]
    assert {v: d["status"] for v, d in variants.items()} == {
        "base": "scored", "exact": "scored", "starved": "refused", "broken": "failed"
    }  # fmt: skip
    assert "budget of 1,536" in variants["starved"]["error"]
    broken = variants["broken"]["error"]
    assert "\n" not in broken and "no_such_table" in broken
    assert out["budget_tokens"] == 1536 and out["batches"] == BATCHES

    lake = Lakehouse(str(tmp_path / "lakehouse"), spark)
    runs = RunLog(lake)
    ingest = sorted(r.status for r in runs.of_stage("ingest"))
    assert ingest == ["skipped", "skipped", "skipped", "succeeded"]  # ingest ran once
    filters = {r.run_id: r.status for r in runs.of_stage("filter")}
    assert filters == {"ab1-base": "succeeded", "ab1-exact": "skipped",
                       "ab1-starved": "succeeded", "ab1-broken": "skipped"}  # fmt: skip
    dedups = {r.run_id: r.status for r in runs.of_stage("dedup")}
    assert dedups == {
        "ab1-base": "succeeded",
        "ab1-exact": "succeeded",
        "ab1-starved": "succeeded",
    }  # fmt: skip (broken: its input is missing)
    trains = [r for r in runs.of_stage("train") if r.status == "succeeded"]
    assert len(trains) == 2  # every proxy: exactly the budget
    assert {(r.counts["batches"], r.counts["tokens"]) for r in trains} == {(BATCHES, 1536)}

    rows = lake.read("ablation_results").where("run_id = 'ab1'").collect()
    by = {(r["variant"], r["metric"]): r for r in rows}
    assert by[("starved", "status")]["status"] == "refused"
    assert by[("broken", "status")]["error"].startswith("data: FileNotFoundError")
    for variant in ("base", "exact"):
        comp = by[(variant, "composite")]
        assert comp["ci_low"] <= comp["value"] <= comp["ci_high"]
        assert comp["models"].startswith("artifact:model/t-" + variant)
        assert comp["shards"].startswith("artifact:mds-corpus@")
        assert (variant, "train_loss") in by
        assert any(m.startswith("bpb/source=") for v, m in by if v == variant)
    assert sorted(by[(v, "composite")]["rank"] for v in ("base", "exact")) == [1, 2]
    assert "distinguishable" in out["table"] and Path(out["chart"]).is_file()

    table, version = out["results"].split("@")
    text = format_lineage(lineage(lake, table, int(version)))
    for step in ("ablate", "train", "tokenize", "dedup", "filter", "ingest", "en.jsonl"):
        assert step in text, step

    again = ablate_plain(str(config), run_id="ab2")  # everything reused: only scoring reruns
    assert again["ranking"] == out["ranking"]
    assert {r.status for r in runs.of_stage("tokenize") if r.run_id.startswith("ab2")} == {
        "skipped"
    }
    assert len([r for r in runs.of_stage("train") if r.status == "succeeded"]) == 2


def test_print_plan_gives_cost_per_variant_and_total_without_running_anything(capsys):
    from flows.cli import main

    assert main(["ablate", str(REPO / "conf/ablate/demo.yaml"), "--print-plan"]) == 0
    out = capsys.readouterr().out
    assert "3 variants x 2 seed(s)" in out and "GPU-hours" in out
    assert "no_quality       stages rerun: filter, dedup, tokenize" in out
    assert "total             6 proxy runs, 245,760 tokens" in out
