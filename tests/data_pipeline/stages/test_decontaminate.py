"""The decontaminate stage on real Spark + Delta, run as the flows run it (the benchmark items
published first), with benchmark items planted in real documents.

Items of three gauntlet tasks (real ARC-Easy, PIQA and HellaSwag items, formatted by lm-eval)
are planted into Wikipedia lead paragraphs verbatim, re-cased, re-spaced, inside a longer
paragraph and half present. Clean documents, including ones that share short phrases with
items, must come out untouched.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from pyspark.sql import functions as F

from data_pipeline.lakehouse import schemas
from data_pipeline.lakehouse.schemas import BENCHMARK_ITEMS_TABLE
from data_pipeline.lakehouse.tables import REJECTS, Lakehouse, TableVersion
from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse, resolve_inputs
from data_pipeline.stages.decontaminate import CONTAMINATION, INDEX_ARTIFACT, OUTPUT
from evaluation.items import gauntlet_items
from flows.stage_inputs import REPO_GAUNTLET, publish_inputs, run_stage_with_inputs
from tests.corpus import texts

INPUT = "docs_in"
TASKS = ["arc_easy", "piqa", "hellaswag"]
INDEX = {"tasks": TASKS, "limit": 40}


def _row(doc_id: str, text: str):
    return (doc_id, text, "wiki", "CC-BY-SA-4.0", f"https://x/{doc_id}", None,
            dt.datetime(2024, 1, 1), "test")  # fmt: skip


def _variants(item: str, wiki: str, k: int) -> dict[str, str]:
    words = item.split()
    half = len(words) // 2
    return {
        "verbatim": f"{wiki}\n\n{item}\n\n{wiki}",
        "recased": f"{wiki}\n\n{item.upper()}\n\n{wiki}",
        "respaced": f"{wiki}\n\n{'  '.join(words[:half])}\n{' '.join(words[half:])}",
        "inside": f"{wiki} {item} {wiki}",
        "half": f"{wiki} {' '.join(words[:half])} {wiki}",
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("decontam")
    items = gauntlet_items(str(REPO_GAUNTLET), TASKS, INDEX["limit"])
    long_items = [i for i in items if len(i.text.split()) >= 30]
    wiki = [t["text"] for t in texts(60)]
    rows, expect = [], {}
    for k, item in enumerate(long_items[:12]):
        kind = list(_variants("", "", 0))[k % 5]
        doc_id = f"planted-{kind}-{k}"
        rows.append(_row(doc_id, _variants(item.text, wiki[k], k)[kind]))
        expect[doc_id] = (item.task, item.item_key)
    clean_ids = []
    for k, text in enumerate(wiki[12:52]):
        item = items[k % len(items)].text.split()
        if k % 2:  # shares a short phrase (6 words) with an item
            text = f"{text} {' '.join(item[:6])} and so on."
        clean_ids.append(f"clean-{k}")
        rows.append(_row(clean_ids[-1], text))
    lake = root / "lakehouse"
    spark.createDataFrame(rows, schemas.DOCUMENTS).write.format("delta").save(str(lake / INPUT))
    config = {
        "lakehouse": str(lake),
        "artifacts": str(root / "artifacts"),
        "spark": {"master": "local[2]", "shuffle_partitions": 2},
        "sources": [],
        "pipeline": ["decontaminate"],
        "stages": {"decontaminate": {"input_table": INPUT, "index": INDEX}},
    }
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    project = load_project(root / "pipeline.yaml")
    result = run_stage_with_inputs(project, "decontaminate", run_id="planted")
    return project, result, dict(rows_by_id=dict((r[0], r[1]) for r in rows)), expect, clean_ids


def test_every_planted_item_is_found_and_cut(planted):
    project, result, data, expect, _ = planted
    lake = open_lakehouse(project)
    hits = lake.read(CONTAMINATION, result.outputs[CONTAMINATION].version).collect()
    found = {(h["doc_id"], h["task"], h["item_key"]) for h in hits}
    for doc_id, (task, key) in expect.items():
        assert (doc_id, task, key) in found, doc_id
    for h in hits:
        text = data["rows_by_id"][h["doc_id"]]
        assert 0 <= h["char_start"] < h["char_end"] <= len(text)
        assert h["ngram"] and 8 <= h["n_words"] <= 13


def test_no_clean_document_is_touched(planted):
    project, result, data, expect, clean_ids = planted
    lake = open_lakehouse(project)
    out = {
        r["doc_id"]: r["text"] for r in lake.read(OUTPUT, result.outputs[OUTPUT].version).collect()
    }
    for doc_id in clean_ids:
        assert out[doc_id] == data["rows_by_id"][doc_id]
    for doc_id in expect:
        assert doc_id not in out or out[doc_id] != data["rows_by_id"][doc_id]


def test_counts_add_up_and_the_index_is_an_artifact(planted):
    project, result, data, expect, clean_ids = planted
    c = result.run.counts
    assert c["input"] == len(data["rows_by_id"]) == c["kept"] + c["rejected"]
    assert (
        c["chars.input"] == c["chars.kept"] + c["chars.rejected"] + c["chars.edited.decontaminate"]
    )
    assert c["decontam.docs_clean"] == len(clean_ids)
    assert c["decontam.docs_cut"] + c["decontam.docs_dropped"] == len(expect)
    assert sum(c[f"task.{t}.items_found"] for t in TASKS) == len(set(expect.values()))
    lake = open_lakehouse(project)
    rejects = lake.read(REJECTS, result.outputs[REJECTS].version).filter(
        F.col("stage") == "decontaminate"
    )
    assert rejects.count() == c["rejected"]
    refs = [t for t in result.run.outputs if t.table == f"artifact:{INDEX_ARTIFACT}"]
    assert refs and "| arc_easy |" in result.report["markdown"]
    with open(result.report["files"][0], "rb") as chart:
        assert chart.read(8) == b"\x89PNG\r\n\x1a\n"


def test_the_benchmark_items_are_a_pinned_input_published_once_per_content(planted):
    project, result, _, _, _ = planted
    pinned = result.run.inputs[-1]
    assert pinned == TableVersion(BENCHMARK_ITEMS_TABLE, 0)
    lake = open_lakehouse(project)
    items = lake.read(BENCHMARK_ITEMS_TABLE, 0)
    assert sorted(r["task"] for r in items.select("task").distinct().collect()) == sorted(TASKS)
    assert items.count() == 3 * INDEX["limit"]
    assert publish_inputs(project, "decontaminate", "again") == [pinned]  # same items
    assert publish_inputs(project, "decontaminate", "pinned", {BENCHMARK_ITEMS_TABLE: 0}) == []
    section = {"input_table": INPUT, "index": {**INDEX, "limit": 5}}
    fewer = load_project(project.origin, {"stages": {"decontaminate": section}})
    assert publish_inputs(fewer, "decontaminate", "fewer") == [
        TableVersion(BENCHMARK_ITEMS_TABLE, 1)
    ]
    assert lake.read(BENCHMARK_ITEMS_TABLE, 1).count() == 3 * 5


def test_a_missing_published_input_says_what_writes_it(tmp_path, spark):
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    with pytest.raises(FileNotFoundError, match="no data stage writes it"):
        resolve_inputs(lake, (BENCHMARK_ITEMS_TABLE,), None)
    with pytest.raises(FileNotFoundError, match="run decontaminate first"):
        resolve_inputs(lake, (CONTAMINATION,), None)


def test_a_corpus_without_benchmark_items_passes_untouched(planted, spark):
    project, _, data, _, clean_ids = planted
    rows = [_row(doc_id, data["rows_by_id"][doc_id]) for doc_id in clean_ids]
    lake = open_lakehouse(project)
    spark.createDataFrame(rows, schemas.DOCUMENTS).write.format("delta").save(lake.path("clean"))
    section = {"input_table": "clean", "index": INDEX}
    clean = load_project(project.origin, {"stages": {"decontaminate": section}})
    c = run_stage_with_inputs(clean, "decontaminate", run_id="clean").run.counts
    assert c["input"] == c["kept"] == c["decontam.docs_clean"] == len(clean_ids)
    assert c["decontam.docs_cut"] == c["decontam.docs_dropped"] == c["decontam.hits"] == 0
