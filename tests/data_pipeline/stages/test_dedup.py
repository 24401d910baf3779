"""The dedup stage on real Spark + Delta: audit tables, conservation, signatures that match
datasketch, and an incremental run that equals a full run on the union."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from datasketch import MinHash
from pyspark.sql import functions as F

from data_pipeline.dedup.clusters import CLUSTERS
from data_pipeline.dedup.config import DedupConfig
from data_pipeline.dedup.shingles import shingle_hash, shingles
from data_pipeline.dedup.signing import SIGNATURES, decode_signature
from data_pipeline.lakehouse.tables import REJECTS
from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse, run_stage
from data_pipeline.stages.dedup import OUTPUT
from tests.data_pipeline.dedup.planted import SCHEMA, planted

INPUT = "ingested_docs"
LATE = {"exact-norm", "near-copy", "chain-c", "control"}  # the second batch


def make_project(root, spark, rows):
    lake = root / "lakehouse"
    spark.createDataFrame(rows, SCHEMA).write.format("delta").save(str(lake / INPUT))
    config = {
        "lakehouse": str(lake),
        "spark": {"master": "local[2]", "shuffle_partitions": 2},
        "sources": [],
        "pipeline": ["dedup"],
        "stages": {"dedup": {"input_table": INPUT}},
    }
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    return load_project(root / "pipeline.yaml")


def snapshot(project, result):
    """Clusters, kept ids and rejects of a run, without run ids."""
    lake = open_lakehouse(project)
    out = result.outputs
    clusters = sorted(
        (r["cluster_id"], r["survivor"], tuple(tuple(m) for m in r["members"]))
        for r in lake.read(CLUSTERS, out[CLUSTERS].version).collect()
    )
    kept = sorted(r[0] for r in lake.read(OUTPUT, out[OUTPUT].version).select("doc_id").collect())
    rejects = sorted(
        (r["doc_id"], r["reason"], r["cluster_id"], r["score"])
        for r in lake.read(REJECTS, out[REJECTS].version).filter("stage = 'dedup'").collect()
    )
    return clusters, kept, rejects


@pytest.fixture(scope="module")
def full(tmp_path_factory, spark):
    rows, expected = planted()
    project = make_project(tmp_path_factory.mktemp("full"), spark, rows)
    return project, run_stage(project, "dedup", run_id="full"), rows, expected


def test_full_run_writes_an_audit_that_explains_every_removed_document(full):
    project, result, _, expected = full
    counts = result.run.counts
    assert (counts["input"], counts["kept"], counts["rejected"]) == (40, 35, 5)
    clusters, kept, rejects = snapshot(project, result)
    assert sorted(sorted(m[0] for m in c[2]) for c in clusters) == sorted(
        sorted(e) for e in expected
    )
    assert len(kept) == 35 and not {r[0] for r in rejects} & set(kept)
    reasons = {r[0]: r[1] for r in rejects}
    assert reasons == {
        "bg001": "exact_duplicate",
        "exact-copy": "exact_duplicate",
        "bg002": "near_duplicate",
        "chain-b": "near_duplicate",
        "chain-c": "near_duplicate",
    }
    lake = open_lakehouse(project)
    docs = lake.read(OUTPUT, result.outputs[OUTPUT].version)
    assert "quality_score" in docs.columns  # input columns are kept
    assert set(result.outputs) == {SIGNATURES, CLUSTERS, REJECTS, OUTPUT}
    md = result.report["markdown"]
    assert "P(candidate)" in md and "exact" in md and result.report["banding"]["bands"] == 13


def test_stored_signatures_match_datasketch(full):
    project, result, rows, _ = full
    config = DedupConfig()
    texts = {r[0]: r[1] for r in rows}
    stored = open_lakehouse(project).read(SIGNATURES, result.outputs[SIGNATURES].version)
    sample = stored.filter(F.col("doc_id").isin("bg000", "chain-b", "exact-norm")).collect()
    assert len(sample) == 3
    for row in sample:
        grams = shingles(texts[row["doc_id"]], config.shingles, config.normalize)
        reference = MinHash(
            num_perm=config.num_perm,
            seed=config.seed,
            hashfunc=lambda b: shingle_hash(b, config.shingles),
        )
        reference.update_batch(grams)
        assert np.array_equal(reference.hashvalues, decode_signature(row["signature"]))
        assert row["n_shingles"] == len(grams) and len(row["bands"]) == 13


def test_incremental_batch_equals_full_run_on_the_union(full, tmp_path, spark):
    project_full, result_full, rows, _ = full
    first = [r for r in rows if r[0] not in LATE]
    late = [r for r in rows if r[0] in LATE]
    project = make_project(tmp_path, spark, first)
    one = run_stage(project, "dedup", run_id="batch1")
    assert one.run.counts["dedup.signatures_computed"] == len(first)
    lake = open_lakehouse(project)
    spark.createDataFrame(late, SCHEMA).write.format("delta").mode("append").save(lake.path(INPUT))
    two = run_stage(project, "dedup", run_id="batch2")
    counts = two.run.counts
    assert counts["dedup.signatures_computed"] == len(late)
    assert counts["dedup.signatures_reused"] == len(first)
    assert two.report["prior_clusters_reused"] is True
    assert snapshot(project, two) == snapshot(project_full, result_full)
    assert {k: v for k, v in counts.items() if not k.startswith("dedup.")} == {
        k: v for k, v in result_full.run.counts.items() if not k.startswith("dedup.")
    }
    assert lake.read(SIGNATURES).count() == len(rows)  # appended, not rewritten
    # unchanged input, forced rerun: no signature work, same result
    three = run_stage(project, "dedup", run_id="again", force=True)
    assert three.run.counts["dedup.signatures_computed"] == 0
    assert three.run.counts["dedup.candidate_pairs"] == 0
    assert snapshot(project, three) == snapshot(project_full, result_full)
