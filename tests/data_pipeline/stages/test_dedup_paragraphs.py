"""The dedup_paragraphs stage on real Spark + Delta: a paragraph repeated in 50 documents
survives once (in the survivor-rule's first document), nothing else changes, counts add up."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from pyspark.sql import functions as F

from data_pipeline.lakehouse import schemas
from data_pipeline.lakehouse.tables import REJECTS
from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse, run_stage
from data_pipeline.stages.dedup_paragraphs import OUTPUT
from tests.corpus import texts

INPUT = "docs_in"
BANNER = (
    "This website uses cookies to improve your experience. By continuing you accept our policy."
)


def _row(doc_id: str, text: str, day: int):
    return (doc_id, text, "wiki", "CC-BY-SA-4.0", f"https://x/{doc_id}", None,
            dt.datetime(2024, 1, 1) + dt.timedelta(days=day), "test")  # fmt: skip


@pytest.fixture(scope="module")
def deduped(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("paragraphs")
    wiki = [t["text"] for t in texts(60)]
    rows = [_row(f"doc-{k:02d}", f"{wiki[k]}\n\n{BANNER}\n\n{wiki[k + 1][:80]}", 50 - k)
            for k in range(50)]  # fmt: skip
    rows.append(_row("only-banner", f"Home\n\n{BANNER}", 60))
    rows += [_row(f"clean-{k}", wiki[50 + k], 1) for k in range(5)]
    lake = root / "lakehouse"
    spark.createDataFrame(rows, schemas.DOCUMENTS).write.format("delta").save(str(lake / INPUT))
    config = {
        "lakehouse": str(lake),
        "artifacts": str(root / "artifacts"),
        "spark": {"master": "local[2]", "shuffle_partitions": 2},
        "sources": [],
        "pipeline": ["dedup_paragraphs"],
        "stages": {"dedup_paragraphs": {"input_table": INPUT}},
    }
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    project = load_project(root / "pipeline.yaml")
    return project, run_stage(project, "dedup_paragraphs", run_id="p1"), {r[0]: r[1] for r in rows}


def test_a_paragraph_in_50_documents_survives_once(deduped):
    project, result, inputs = deduped
    lake = open_lakehouse(project)
    out = {
        r["doc_id"]: r["text"] for r in lake.read(OUTPUT, result.outputs[OUTPUT].version).collect()
    }
    with_banner = [d for d, t in out.items() if BANNER in t]
    assert with_banner == ["doc-49"]  # the earliest ingested
    assert out["doc-49"] == inputs["doc-49"]
    assert out["doc-00"] == inputs["doc-00"].replace(f"\n\n{BANNER}", "")
    for k in range(5):
        assert out[f"clean-{k}"] == inputs[f"clean-{k}"]


def test_a_document_left_too_short_is_rejected_and_counts_add_up(deduped):
    project, result, _ = deduped
    c = result.run.counts
    assert (c["input"], c["kept"], c["rejected"]) == (56, 55, 1)
    assert c["rejected.dedup_paragraphs.empty_after_paragraph_dedup"] == 1
    assert c["paragraphs.removed"] == 50
    removed = 49 * (len(BANNER) + 2)
    assert c["chars.edited.dedup_paragraphs"] == removed == c["chars.source.wiki.edited"]
    assert c["chars.input"] == c["chars.kept"] + c["chars.rejected"] + removed
    lake = open_lakehouse(project)
    rejects = lake.read(REJECTS, result.outputs[REJECTS].version).filter(
        F.col("stage") == "dedup_paragraphs"
    )
    assert [r["doc_id"] for r in rejects.collect()] == ["only-banner"]
