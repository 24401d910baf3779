"""Ingest on real Spark and Delta: formats, quarantine, conservation, idempotency, lineage."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from data_pipeline.lakehouse.config import ConfigError
from data_pipeline.lakehouse.lineage import RunLog, format_lineage, lineage
from data_pipeline.lakehouse.tables import QUARANTINE, RUNS
from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse, run_stage
from data_pipeline.stages.ingest import OUTPUT, IngestError
from tests.corpus import write_all_formats, write_corrupted


@pytest.fixture
def formats_project(tmp_path, write_project):
    return load_project(write_project(write_all_formats(tmp_path / "in")))


def test_every_format_lands_in_one_table_with_provenance(formats_project):
    result = run_stage(formats_project, "ingest", run_id="r1")
    lake = open_lakehouse(formats_project)
    docs = lake.read(OUTPUT, result.outputs[OUTPUT].version)
    per_source = {r["source"]: r["count"] for r in docs.groupBy("source").count().collect()}
    assert per_source == {"plain": 3, "gz": 3, "zst": 3, "pq": 3, "txt": 3, "warc": 3, "hf": 3}
    assert docs.select("doc_id").distinct().count() == 21
    assert docs.filter(F.col("licence") != "CC-BY-SA-4.0").count() == 0
    assert docs.filter(F.col("run_id") != "r1").count() == 0
    plain = docs.filter(F.col("source") == "plain").first()
    assert plain["url_or_path"].startswith("https://en.wikipedia.org/wiki/")
    txt = docs.filter(F.col("source") == "txt").first()
    assert txt["url_or_path"].endswith(".txt#file") and txt["metadata"]["lang_hint"] == "en"
    assert result.run.counts["input"] == 21 and result.run.counts["quarantined"] == 0


def test_corrupted_inputs_are_quarantined_with_reasons_and_counts_add_up(tmp_path, write_project):
    sources, expected = write_corrupted(tmp_path / "bad")
    project = load_project(write_project(sources, stages={"ingest": {"max_doc_chars": 5000}}))
    result = run_stage(project, "ingest", run_id="bad1")
    counts = result.run.counts
    assert counts["input"] == counts["kept"] + counts["rejected"] + counts["quarantined"]
    assert counts["kept"] == expected["good"] and counts["rejected"] == 0
    lake = open_lakehouse(project)
    quarantine = lake.read(QUARANTINE, result.outputs[QUARANTINE].version)
    reasons = {r["reason"]: r["count"] for r in quarantine.groupBy("reason").count().collect()}
    for reason, count in expected.items():
        if reason != "good":
            assert reasons.get(reason) == count, (reason, reasons)
    # the truncated archive: its complete records are ingested, the rest is one quarantined
    # record naming the file, the line and the byte where it breaks
    (truncated,) = quarantine.filter(F.col("source") == "truncated").collect()
    assert truncated["file"].endswith("truncated.jsonl.gz")
    assert truncated["reason"] == "truncated_file" and truncated["location"].startswith("line ")
    assert "decompressed byte" in truncated["error"] and counts["partly_read_files"] == 1
    assert counts["source.truncated.kept"] == expected["good"] - 3 > 0
    for source in ("mixed", "truncated", "texts", "badparquet"):
        assert counts[f"source.{source}.input"] == (
            counts[f"source.{source}.kept"] + counts[f"source.{source}.quarantined"]
        )
    stored = RunLog(lake).get("bad1", "ingest")
    assert stored.status == "succeeded" and stored.counts == counts


def test_bad_file_policy_fail_commits_nothing(tmp_path, write_project):
    sources, _ = write_corrupted(tmp_path / "bad")
    project = load_project(write_project(sources, stages={"ingest": {"on_bad_file": "fail"}}))
    with pytest.raises(IngestError, match=r"truncated\.jsonl\.gz"):
        run_stage(project, "ingest", run_id="f1")
    lake = open_lakehouse(project)
    assert not lake.exists(OUTPUT)
    assert RunLog(lake).get("f1", "ingest").status == "failed"


def test_missing_file_fails_before_any_commit_or_is_quarantined(tmp_path, write_project):
    sources = [
        {
            "name": "gone",
            "path": str(tmp_path / "nope" / "*.jsonl"),
            "format": "jsonl",
            "licence": "CC0",
        }
    ]
    project = load_project(write_project(sources))
    with pytest.raises(ConfigError, match=r"pipeline.yaml: source 'gone': no file matches"):
        run_stage(project, "ingest", run_id="m1")  # checked before Spark starts
    assert not open_lakehouse(project).exists(OUTPUT)
    project = load_project(
        write_project(sources, stages={"ingest": {"on_missing_file": "quarantine"}})
    )
    result = run_stage(project, "ingest", run_id="m2")
    lake = open_lakehouse(project)
    rows = lake.read(QUARANTINE, result.outputs[QUARANTINE].version).collect()
    assert [(r["reason"], r["source"]) for r in rows] == [("missing_file", "gone")]
    assert result.run.counts["input"] == 1 and result.run.counts["kept"] == 0


def test_same_run_id_twice_keeps_one_copy_and_new_run_id_makes_new_version(formats_project):
    first = run_stage(formats_project, "ingest", run_id="same")
    lake = open_lakehouse(formats_project)
    version = lake.latest_version(OUTPUT)
    again = run_stage(formats_project, "ingest", run_id="same")
    assert again.skipped and lake.latest_version(OUTPUT) == version
    assert lake.read(OUTPUT).count() == 21
    # same inputs, config and code under a new run id: a cache hit, nothing rewritten
    cached = run_stage(formats_project, "ingest", run_id="other")
    assert cached.skipped and "cache hit" in cached.reason
    # forced: a new version, still one copy of each document
    forced = run_stage(formats_project, "ingest", run_id="forced", force=True)
    new_version = forced.outputs[OUTPUT].version
    assert new_version > first.outputs[OUTPUT].version
    assert lake.read(OUTPUT, new_version).count() == 21
    assert lake.read(OUTPUT, new_version).select("doc_id").distinct().count() == 21
    text = format_lineage(lineage(lake, OUTPUT, new_version))
    assert f"{OUTPUT}@{new_version}" in text and "run forced stage ingest" in text
    assert "files named in its config" in text and "plain.jsonl" in text


def test_txn_replay_after_a_crash_between_commit_and_run_record(formats_project):
    """A run that committed its tables but died before recording success commits nothing new."""
    result = run_stage(formats_project, "ingest", run_id="crashy")
    lake = open_lakehouse(formats_project)
    runs = RunLog(lake)
    record = runs.get("crashy", "ingest")
    record.status = "running"
    runs.record(record)
    version = lake.latest_version(OUTPUT)
    replay = run_stage(formats_project, "ingest", run_id="crashy", force=True)
    assert lake.latest_version(OUTPUT) == version
    assert replay.outputs[OUTPUT].version == result.outputs[OUTPUT].version
    assert lake.read(OUTPUT).count() == 21


def test_sources_are_replaced_independently(tmp_path, write_project):
    sources = write_all_formats(tmp_path / "in")
    project = load_project(write_project(sources, stages={"ingest": {"sources": ["plain"]}}))
    run_stage(project, "ingest", run_id="a")
    project = load_project(write_project(sources, stages={"ingest": {"sources": ["gz", "plain"]}}))
    run_stage(project, "ingest", run_id="b")
    lake = open_lakehouse(project)
    rows = lake.read(OUTPUT).groupBy("source", "run_id").count().collect()
    assert sorted((r["source"], r["run_id"], r["count"]) for r in rows) == [
        ("gz", "b", 3),
        ("plain", "b", 3),
    ]
    history = lake.history(OUTPUT)
    assert all('"run_id"' in (h["userMetadata"] or "") for h in history)
    assert lake.exists(RUNS)


def test_truncated_streams_and_a_corrupt_row_group_keep_their_good_part(tmp_path, write_project):
    from pathlib import Path

    from tests.corpus import readable_prefix, write_corrupt_row_group, write_truncated_streams

    streams = write_truncated_streams(tmp_path / "cut")
    sources = [*streams, write_corrupt_row_group(tmp_path / "pq", groups=3, rows=100, bad=1)]
    complete = {s["name"]: readable_prefix(Path(s["path"])).count(b"\n") for s in streams}
    assert complete == {"cut_gz": 235, "cut_zst": 160}  # what the oracle decompressors give
    project = load_project(write_project(sources))
    result = run_stage(project, "ingest", run_id="salvage")
    counts = result.run.counts
    assert counts["source.cut_gz.kept"] == 235 and counts["source.cut_zst.kept"] == 160
    assert counts["source.rowgroups.kept"] == 200
    for name in ("cut_gz", "cut_zst", "rowgroups"):
        assert counts[f"source.{name}.quarantined"] == 1  # the lost part, one record each
        assert counts[f"source.{name}.input"] == counts[f"source.{name}.kept"] + 1
    assert counts["input"] == counts["kept"] + counts["quarantined"] == 235 + 160 + 200 + 3
    assert counts["partly_read_files"] == 3
    lake = open_lakehouse(project)
    lost = {
        r["source"]: (r["reason"], r["location"])
        for r in lake.read(QUARANTINE, result.outputs[QUARANTINE].version).collect()
    }
    assert lost == {
        "cut_gz": ("truncated_file", "line 236"),
        "cut_zst": ("truncated_file", "line 161"),
        "rowgroups": ("corrupt_row_group", "row group 1"),
    }
    docs = lake.read(OUTPUT, result.outputs[OUTPUT].version)
    assert docs.count() == 595
