"""The dedup engine on real Spark (no Delta): planted duplicates, chains, survivor rule,
determinism, scopes, empty and single-document inputs."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from data_pipeline.dedup import DedupConfig, SurvivorKey, deduplicate
from tests.data_pipeline.dedup.planted import SCHEMA, planted


def clusters_of(result) -> dict[str, tuple]:
    rows = result.clusters.collect()
    return {
        r["cluster_id"]: (
            r["survivor"],
            tuple((m["doc_id"], m["reason"], round(m["similarity"], 6)) for m in r["members"]),
        )
        for r in rows
    }


@pytest.fixture(scope="module")
def corpus(spark):
    rows, expected = planted()
    return spark.createDataFrame(rows, SCHEMA), expected


@pytest.fixture(scope="module")
def default_run(corpus):
    docs, _ = corpus
    result = deduplicate(docs, DedupConfig(), "run-a")
    return result, clusters_of(result)


def test_planted_duplicates_chain_and_survivor_rule(corpus, default_run):
    docs, expected = corpus
    result, clusters = default_run
    assert sorted(sorted(m[0] for m in c[1]) for c in clusters.values()) == sorted(
        sorted(e) for e in expected
    )
    by_doc = {m[0]: (cid, c[0], m[1], m[2]) for cid, c in clusters.items() for m in c[1]}
    # highest quality_score wins, even over an older original
    assert by_doc["bg002"][1] == "near-copy" and by_doc["bg002"][2] == "near_duplicate"
    # equal quality: earliest ingested_at wins; copies of the survivor's text are exact
    assert by_doc["bg001"][1] == "exact-norm"
    assert by_doc["bg001"][2] == by_doc["exact-copy"][2] == "exact_duplicate"
    # the chain ends are below the threshold with each other but share one cluster
    assert by_doc["chain-c"][0] == by_doc["bg000"][0] == "bg000"
    assert by_doc["chain-c"][3] < 0.8 <= by_doc["chain-b"][3] < 1.0
    assert "control" not in by_doc
    counts = result.counts
    assert counts["input"] == docs.count() == counts["kept"] + counts["rejected"]
    assert counts["rejected.exact_hash.exact_duplicate"] == 2
    assert counts["rejected.minhash.near_duplicate"] == 3
    assert counts["source.mirror.rejected"] + counts["source.wiki.rejected"] == 5
    assert counts["dedup.clusters"] == 3 and counts["dedup.signatures_computed"] == 40
    kept = {r["doc_id"] for r in result.kept.select("doc_id").collect()}
    rejected = {r["doc_id"]: r for r in result.rejects.collect()}
    assert len(kept) == 35 and not kept & set(rejected)
    assert rejected["chain-c"]["cluster_id"] == "bg000"
    assert rejected["chain-c"]["filter"] == "minhash" and rejected["chain-c"]["text"]
    assert result.kept.columns == docs.columns
    assert "13 bands x 7 rows" in result.report["markdown"]


def test_same_input_and_seed_give_identical_clusters(corpus, default_run):
    docs, _ = corpus
    shuffled = docs.repartition(3, F.rand(seed=5))
    again = deduplicate(shuffled, DedupConfig(), "run-b")
    assert clusters_of(again) == default_run[1]


def test_scope_per_source_and_a_custom_survivor_rule(corpus):
    docs, _ = corpus
    config = DedupConfig(scope="source", survivor=[SurvivorKey(column="ingested_at", order="desc")])
    clusters = clusters_of(deduplicate(docs, config, "run-c"))
    members = sorted(sorted(m[0] for m in c[1]) for c in clusters.values())
    # across sources nothing merges: only the two mirror copies of bg001 and chain-b ~ chain-c
    assert members == [["chain-b", "chain-c"], ["exact-copy", "exact-norm"]]
    survivors = {c[0] for c in clusters.values()}
    assert survivors == {"chain-c", "exact-copy"}  # latest ingested_at wins


def test_empty_and_single_document_inputs(spark, corpus):
    docs, _ = corpus
    empty = deduplicate(docs.limit(0), DedupConfig(), "run-e")
    assert empty.counts["input"] == empty.counts["kept"] == 0
    assert empty.clusters.count() == 0 and empty.kept.count() == 0
    single = deduplicate(docs.filter(F.col("doc_id") == "bg000"), DedupConfig(), "run-s")
    assert single.counts["input"] == single.counts["kept"] == 1
    assert single.rejects.count() == 0 and single.kept.count() == 1
