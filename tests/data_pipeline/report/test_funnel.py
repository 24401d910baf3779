"""The funnel report: characters that editing stages (paragraph dedup, decontamination) cut
from documents they kept; runs recorded under older count names (ingest's read/ingested)."""

from __future__ import annotations

from data_pipeline.lakehouse.lineage import RunLog, RunRecord
from data_pipeline.lakehouse.tables import CommitInfo, Lakehouse, TableVersion, TableWrite
from data_pipeline.report.funnel import (
    build_funnel,
    current_names,
    funnel_from_counts,
    render_markdown,
)

# The counts ingest wrote before it used input/kept/rejected (git log -S ingested)
OLD_INGEST = {
    "files": 2, "read": 5, "ingested": 4, "quarantined": 1, "quarantined.bad_json": 1,
    "source.web.read": 3, "source.web.ingested": 3, "source.web.quarantined": 0,
    "source.forum.read": 2, "source.forum.ingested": 1, "source.forum.quarantined": 1,
}  # fmt: skip


def test_characters_cut_from_kept_documents_appear_in_the_funnel():
    counts = {
        "input": 56, "kept": 55, "rejected": 1,
        "rejected.dedup_paragraphs.empty_after_paragraph_dedup": 1,
        "chars.input": 10_000, "chars.kept": 7_900, "chars.rejected": 100,
        "chars.rejected.dedup_paragraphs.empty_after_paragraph_dedup": 100,
        "chars.edited.dedup_paragraphs": 2_000,
    }  # fmt: skip
    step = funnel_from_counts("dedup_paragraphs", "r1", "paragraph_deduped_docs", counts)
    assert step.chars_edited == {"dedup_paragraphs": 2_000}
    text = render_markdown([step], "paragraph_deduped_docs@1")
    assert "## dedup_paragraphs: characters cut from kept documents" in text
    assert "| dedup_paragraphs | 2000 | 20.0% |" in text
    assert "| dedup_paragraphs.empty_after_paragraph_dedup | 1 |" in text


def test_legacy_names_are_read_as_todays_and_nothing_else_is_renamed():
    counts = {**OLD_INGEST, "rejected.f.read": 1, "chars.source.web.read": 9, "kept": 7}
    renamed = current_names(counts)
    assert renamed["input"] == 5 and renamed["source.forum.input"] == 2
    assert renamed["source.forum.kept"] == 1 and "source.forum.read" not in renamed
    assert renamed["kept"] == 7 and renamed["ingested"] == 4  # today's name wins; old one kept
    assert renamed["rejected.f.read"] == 1 and renamed["chars.source.web.read"] == 9
    assert renamed["quarantined.bad_json"] == 1 and renamed["source.forum.quarantined"] == 1
    assert current_names({"input": 3, "kept": 2}) == {"input": 3, "kept": 2}


def test_an_old_shape_ingest_run_shows_in_the_funnel(spark, tmp_path):
    lake = Lakehouse(str(tmp_path / "lake"), spark)
    log = RunLog(lake)
    rows = [("a", "x" * 10, "web"), ("b", "y" * 20, "web"), ("c", "z" * 30, "web")]
    rows += [("d", "w" * 40, "forum")]

    def write(table: str, run_id: str, stage: str, kept: list[tuple]) -> TableVersion:
        df = spark.createDataFrame(
            [(*r, run_id) for r in kept], "doc_id string, text string, source string, run_id string"
        )
        return lake.write(TableWrite(table, df), CommitInfo(run_id, stage, "h", "c"))

    docs = write("documents", "r-old", "ingest", rows)
    log.record(RunRecord("r-old", "ingest", "succeeded", outputs=[docs], counts=OLD_INGEST))
    kept = write("filtered_docs", "r-new", "filter", rows[1:])
    counts = {
        "input": 4, "kept": 3, "rejected": 1, "rejected.c4.too_short": 1,
        "source.web.input": 3, "source.web.kept": 2, "source.web.rejected": 1,
        "source.forum.input": 1, "source.forum.kept": 1, "source.forum.rejected": 0,
    }  # fmt: skip
    log.record(
        RunRecord("r-new", "filter", "succeeded", inputs=[docs], outputs=[kept], counts=counts)
    )

    chain = build_funnel(lake, "filtered_docs", kept.version)
    assert [(s.stage, s.input, s.kept, s.rejected) for s in chain] == [
        ("ingest", 5, 4, 1),
        ("filter", 4, 3, 1),
    ]
    ingest = chain[0]
    assert ingest.sources == {"web": (3, 3), "forum": (2, 1)}
    assert ingest.reasons == {"quarantine.bad_json": 1} and ingest.chars_kept == 100
    text = render_markdown(chain, f"filtered_docs@{kept.version}")
    assert "| ingest | r-old | 5 | 4 | 1 | 80.0% | 80.0% |" in text
    assert "| quarantine.bad_json | 1 | 20.0% |" in text
    assert "| forum | 2→1 | 1→1 |" in text and "| web | 3→3 | 3→2 |" in text
