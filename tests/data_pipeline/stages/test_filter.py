"""The filter stage on real Spark and Delta: outputs, rejects, funnel counts that add up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from data_pipeline.lakehouse.lineage import RunLog
from data_pipeline.lakehouse.tables import REJECTS
from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse, run_stage
from tests.corpus import jsonl_bytes, texts

FILTER_SECTION = {
    "filters": [
        {"langid": {"languages": ["en", "fr", "de"], "min_score": 0.65}},
        {"gopher_quality": {"min_words": 20}},
        "gopher_repetition",
        {"c4": {"min_sentences": 2}},
        "pii",
    ],
    "per_source": {"short": [{"langid": {"min_score": 0.3}}, {"gopher_quality": {"min_words": 3}}]},
}


def _bad_docs() -> list[dict]:
    spam = "The best offers of the year, and deals to have with you in the shop.\n\n" * 10
    return [
        {"text": spam},  # gopher_repetition duplicate_paragraphs
        {"text": "Kaufen Sie jetzt. " * 2},  # gopher_quality too_few_words
        {"text": "Это русский текст о погоде в Москве и о том, как люди живут. " * 5},  # langid
        {
            "text": "Contact me at jane.doe@example.org for details about the meeting of the "
            "committee next week. The agenda will be sent by e-mail to all members of "
            "the board. Please confirm your attendance in advance."
        },  # kept, redacted
    ]


@pytest.fixture(scope="module")
def filtered(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("filter")
    (root / "wiki.jsonl").write_bytes(jsonl_bytes(texts(12) + texts(6, "fr") + _bad_docs()))
    (root / "short.jsonl").write_bytes(
        jsonl_bytes(
            [{"text": "Flu shots save the lives of many, and they are free"}, {"text": "ok"}]
        )
    )
    sources = [
        {"name": "wiki", "path": str(root / "wiki.jsonl"), "format": "jsonl", "licence": "CC0"},
        {"name": "short", "path": str(root / "short.jsonl"), "format": "jsonl", "licence": "CC0"},
    ]
    config = {
        "lakehouse": str(root / "lakehouse"),
        "artifacts": str(root / "artifacts"),
        "spark": {"master": "local[2]", "shuffle_partitions": 2},
        "sources": sources,
        "pipeline": ["ingest", "filter"],
        "stages": {"filter": "filter.yaml"},
    }
    import yaml

    (root / "filter.yaml").write_text(yaml.safe_dump(FILTER_SECTION))
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    project = load_project(root / "pipeline.yaml")
    run_stage(project, "ingest", run_id="i1")
    result = run_stage(project, "filter", run_id="f1")
    return project, result


def test_funnel_adds_up_and_matches_committed_rows(filtered):
    project, result = filtered
    counts = result.run.counts
    assert counts["input"] == 24 and counts["input"] == counts["kept"] + counts["rejected"]
    assert counts["rejected"] == sum(v for k, v in counts.items() if k.startswith("rejected."))
    for source in ("wiki", "short"):
        assert counts[f"source.{source}.input"] == (
            counts[f"source.{source}.kept"] + counts[f"source.{source}.rejected"]
        )
    edited = sum(v for k, v in counts.items() if k.startswith("chars.edited."))
    assert counts["chars.input"] == counts["chars.kept"] + counts["chars.rejected"] + edited
    lake = open_lakehouse(project)
    docs = lake.read("filtered_docs", result.outputs["filtered_docs"].version)
    rejects = lake.read(REJECTS, result.outputs[REJECTS].version).filter(F.col("stage") == "filter")
    assert docs.count() == counts["kept"] and rejects.count() == counts["rejected"]
    by_reason = {
        f"rejected.{r['filter']}.{r['reason']}": r["count"]
        for r in rejects.groupBy("filter", "reason").count().collect()
    }
    assert by_reason == {k: v for k, v in counts.items() if k.startswith("rejected.")}
    assert RunLog(lake).get("f1", "filter").counts == counts


def test_reasons_languages_and_redaction(filtered):
    project, result = filtered
    counts = result.run.counts
    assert counts["rejected.langid.language_not_kept"] == 1  # the Russian document
    assert counts["rejected.gopher_repetition.duplicate_paragraphs"] == 1
    assert counts["rejected.gopher_quality.too_few_words"] >= 2  # German spam and "ok"
    assert counts["source.short.kept"] == 1  # its own list: 3 words suffice, "ok" is too short
    assert counts["lang.fr.input"] == 6 and counts["lang.ru.rejected"] == 1
    assert counts["redacted.pii.email"] == 1
    lake = open_lakehouse(project)
    docs = lake.read("filtered_docs", result.outputs["filtered_docs"].version)
    redacted = docs.filter(F.col("text").contains("<EMAIL>")).collect()
    assert len(redacted) == 1 and "pii:email" in redacted[0]["tags"]
    assert docs.filter(F.col("lang").isNull() | F.col("lang_score").isNull()).count() == 0
    assert {r["run_id"] for r in docs.select("run_id").distinct().collect()} == {"f1"}
    rejects = lake.read(REJECTS, result.outputs[REJECTS].version)
    russian = rejects.filter(F.col("reason") == "language_not_kept").first()
    assert russian["text"].startswith("Это") and russian["score"] > 0.65
    assert "| langid | language_not_kept |" in result.report["markdown"]


def test_config_names_the_file_and_the_key(tmp_path, write_project):
    section = tmp_path / "filter.yaml"
    section.write_text(json.dumps({"filters": [{"gopher_quality": {"min_wrds": 3}}]}))
    path = write_project([], stages={"filter": str(section)})
    with pytest.raises(Exception, match=r"filter\.yaml.*unknown key 'min_wrds'.*min_words"):
        load_project(path)
    section.write_text(json.dumps({"filters": ["langid", "gopher_qualty"]}))
    with pytest.raises(Exception, match=r"filter\.yaml.*unknown filter 'gopher_qualty'"):
        load_project(path)


def test_explain_counts_a_sample_and_writes_nothing(filtered):
    from data_pipeline.explain import explain

    project, _ = filtered
    lake = open_lakehouse(project)
    before = {t: lake.latest_version(t) for t in ("filtered_docs", REJECTS, "runs")}
    found = explain(project, sample=15)
    assert found.sample == 15
    assert found.kept + sum(found.by_reason.values()) == 15
    assert all(len(v) <= 3 for v in found.examples.values())
    text = found.format()
    assert "explain: 15 sampled documents" in text
    assert {t: lake.latest_version(t) for t in before} == before


def test_funnel_report_adds_up_and_draws_a_chart(filtered, tmp_path):
    from data_pipeline.report.funnel import build_funnel, render_chart, render_markdown

    project, result = filtered
    lake = open_lakehouse(project)
    version = result.outputs["filtered_docs"].version
    chain = build_funnel(lake, "filtered_docs", version)
    assert [s.stage for s in chain] == ["ingest", "filter"]
    ingest, flt = chain
    assert flt.input == ingest.kept and flt.input == flt.kept + flt.rejected
    assert sum(flt.reasons.values()) == flt.rejected
    assert ingest.chars_input is not None and ingest.chars_kept == flt.chars_input
    markdown = render_markdown(chain, f"filtered_docs@{version}")
    assert "| filter | f1 | 24 |" in markdown and "langid.language_not_kept" in markdown
    png = render_chart(chain, tmp_path / "funnel.png", "funnel")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quality_classifier_trained_registered_and_applied(filtered, tmp_path):
    from data_pipeline.quality.fasttext_train import TrainParams
    from data_pipeline.quality.train import train_quality_model
    from data_pipeline.samples import csv_in_zip
    from data_pipeline.stages.filter_config import FilterConfig

    project, _ = filtered
    lake = open_lakehouse(project)
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_bytes(jsonl_bytes(texts(150, offset=100)))
    bad.write_bytes(
        jsonl_bytes([{"text": r["text"]} for r in csv_in_zip("en/healthtweets.zip")[:150]])
    )
    artifact = train_quality_model(
        lake,
        project.artifacts,
        str(good),
        str(bad),
        name="qm",
        params=TrainParams(dim=16, epoch=5, min_count=1),
        run_id="q1",
    )
    m = artifact.manifest
    assert artifact.version == 1 and artifact.kind == "fasttext_quality_model"
    assert m["auc"] > 0.9 and 0.0 < m["precision"] <= 1.0 and m["heldout"] == 30
    assert RunLog(lake).get("q1", "quality_train").outputs == [artifact.ref]
    config = FilterConfig.model_validate(
        {"filters": [{"quality_classifier": {"model": "artifact:qm", "top_fraction": 0.5}}]}
    )
    result = run_stage(project, "filter", run_id="f2", config_override=config)
    counts = result.run.counts
    assert counts["input"] == 24 and counts["kept"] + counts["rejected"] == 24
    assert 6 <= counts["rejected.quality_classifier.low_quality"] <= 18
    docs = lake.read("filtered_docs", result.outputs["filtered_docs"].version)
    assert docs.filter(F.col("quality_score").isNull()).count() == 0
