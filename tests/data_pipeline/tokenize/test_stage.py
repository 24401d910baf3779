"""Tokenize on real Spark, Delta and streaming: round trip, held-out split, accounting, lineage,
determinism (byte-identical shards) and the stage cache."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from streaming import StreamingDataset
from streaming.base.util import clean_stale_shared_memory

from data_pipeline.lakehouse import schemas
from data_pipeline.lakehouse.artifacts import ArtifactRegistry
from data_pipeline.lakehouse.lineage import RunLog
from data_pipeline.lakehouse.tables import REJECTS, CommitInfo, TableWrite
from data_pipeline.lakehouse.tokenizer import load_fast_tokenizer
from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse, run_stage
from data_pipeline.samples import wiki_records
from data_pipeline.stages import stage_config
from data_pipeline.tokenize.mds_sets import read_manifest
from tests.tokenizers import base_tokenizer

SEQ = 128
EOS = "<|im_end|>"


def _docs() -> list[tuple]:
    now = dt.datetime(2024, 1, 1)
    rows = []
    plan = {"wiki_en": ("en", 0, 90), "wiki_fr": ("fr", 0, 40), "notes": ("es", 0, 8)}
    for source, (lang, start, n) in plan.items():
        records = [r for r in wiki_records(lang) if len(r["text"]) > 200][start : start + n]
        for r in records:
            doc_id = hashlib.sha256(f"{source}\0{r['url']}".encode()).hexdigest()[:32]
            rows.append((doc_id, r["text"], source, "CC-BY-SA-4.0", r["url"], {}, now, "ing"))
    for i in range(2):  # empty documents are rejected, not tokenised
        rows.append((f"empty{i}", "  \n", "wiki_en", "CC-BY-SA-4.0", f"e{i}", {}, now, "ing"))
    return rows


@pytest.fixture(scope="module")
def project(tmp_path_factory, request, spark):
    root = tmp_path_factory.mktemp("tok")
    config = {
        "lakehouse": str(root / "lakehouse"),
        "artifacts": str(root / "artifacts"),
        "spark": {"master": "local[2]", "shuffle_partitions": 2},
        "sources": [],
        "pipeline": ["tokenize"],
        "stages": {
            "tokenize": {
                "input_table": "ingested_docs",
                "tokenizer": str(base_tokenizer(request.config)),
                "seq_len": SEQ,
                "part_chars": 20_000,  # wiki_en gets several parts, the others one
                "heldout": {"fraction": 0.05, "min_docs": 5},
            }
        },
    }
    path = root / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config))
    project = load_project(path)
    lake = open_lakehouse(project)
    df = spark.createDataFrame(_docs(), schemas.DOCUMENTS)
    lake.write(TableWrite("ingested_docs", df), CommitInfo("ing", "ingest", "h", "c"))
    return project


@pytest.fixture(scope="module")
def first(project):
    clean_stale_shared_memory()
    return run_stage(project, "tokenize", run_id="t1")


def _u(doc_id: str, salt: str = "heldout-v1") -> float:
    return int(hashlib.sha256(f"{salt}\0{doc_id}".encode()).hexdigest()[:13], 16) / 16**13


def test_round_trip_decodes_to_the_packed_documents(project, first):
    lake = open_lakehouse(project)
    heldout = {r["doc_id"] for r in lake.read("heldout_docs").select("doc_id").collect()}
    docs = [r for r in _docs() if r[2] == "wiki_fr" and r[0] not in heldout]
    order = sorted(
        docs, key=lambda r: (hashlib.sha256(f"order\0{r[0]}".encode()).hexdigest(), r[0])
    )
    expected = "".join(r[1] + EOS for r in order)
    folder = Path(first.report["shards"]) / "wiki_fr"
    dataset = StreamingDataset(local=str(folder), shuffle=False, batch_size=4)
    samples = [dataset[i]["tokens"] for i in range(dataset.num_samples)]
    assert all(s.dtype == np.uint16 and s.shape == (SEQ,) for s in samples)
    tok = load_fast_tokenizer(base_tokenizer_dir(project))
    decoded = tok.decode(np.concatenate(samples).tolist(), skip_special_tokens=False)
    complete = decoded.rsplit(EOS, 1)[0] + EOS
    assert expected.startswith(complete) and complete.count(EOS) >= len(order) - 3
    total = sum(len(tok.encode(r[1], add_special_tokens=False).ids) + 1 for r in order)
    assert (
        total - len(samples) * SEQ
        == read_manifest(folder.parent)["streams"]["wiki_fr"]["tokens_dropped"]
    )
    # What Composer trains on: a torch DataLoader over the dataset, int64 batches.
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=4,
        collate_fn=lambda b: torch.stack(
            [torch.from_numpy(x["tokens"].astype(np.int64)) for x in b]
        ),
    )
    assert next(iter(loader)).shape == (4, SEQ)


def base_tokenizer_dir(project) -> Path:
    return Path(project.stages["tokenize"]["tokenizer"])


def test_heldout_split_is_deterministic_and_excluded(project, first):
    lake = open_lakehouse(project)
    held = lake.read("heldout_docs", first.outputs["heldout_docs"].version).collect()
    by_source: dict[str, set] = {}
    for r in held:
        by_source.setdefault(r["source"], set()).add(r["doc_id"])
    en_ids = [r[0] for r in _docs() if r[2] == "wiki_en" and r[1].strip()]
    assert by_source["wiki_en"] == {d for d in en_ids if _u(d) < 0.05}
    notes = sorted((_u(r[0]), r[0]) for r in _docs() if r[2] == "notes")
    assert by_source["notes"] == {notes[0][1]}  # 8 docs: at most 20% -> the 1 smallest u
    counts = first.run.counts
    assert counts["heldout"] == len(held)
    assert counts["source.notes.kept"] == 7


def test_counts_manifest_lineage_and_rejects(project, first):
    counts = first.run.counts
    assert (
        counts["input"] == len(_docs()) == counts["kept"] + counts["heldout"] + counts["rejected"]
    )
    assert counts["rejected.tokenize.empty_text"] == 2
    assert counts["tokens"] == counts["tokens.written"] + counts["tokens.dropped"]
    assert counts["tokens.dropped"] < 3 * SEQ  # tails carried: < seq_len per stream
    lake = open_lakehouse(project)
    refs = {str(t) for t in first.run.outputs}
    assert "artifact:mds-corpus@1" in refs and any(r.startswith("token_counts@") for r in refs)
    art = ArtifactRegistry(lake).get("mds-corpus", 1)
    manifest = art.manifest
    assert manifest["input"] == {"table": "ingested_docs", "version": 0}
    assert manifest["tokenizer"]["eos_id"] == 2 and len(manifest["tokenizer"]["sha256"]) == 64
    en = manifest["streams"]["wiki_en"]
    assert len({s["basename"].split("/")[0] for s in en["shards"]}) > 2  # several parts + tail
    for stream, s in manifest["streams"].items():
        for shard in s["shards"]:
            data = (Path(art.uri) / stream / shard["basename"]).read_bytes()
            assert hashlib.sha1(data).hexdigest() == shard["hashes"]["sha1"]
    tc = {(r["stream"], r["source"]): r for r in lake.read("token_counts").collect()}
    assert tc[("wiki_en", "wiki_en")]["tokens"] == counts["source.wiki_en.tokens"]
    assert tc[("notes", "notes")]["docs"] == 7
    rejects = lake.read(REJECTS).filter("stage = 'tokenize'").collect()
    assert sorted(r["doc_id"] for r in rejects) == ["empty0", "empty1"]
    assert (Path(art.uri).parent / "LATEST").read_text().strip() == Path(art.uri).name
    again = run_stage(project, "tokenize", run_id="t-cached")
    assert again.skipped and "artifact:mds-corpus@1" in {str(t) for t in again.run.outputs}
    assert RunLog(lake).get("t-cached", "tokenize").status == "skipped"


def _written(folder: Path) -> list[Path]:
    """Files the stage wrote (readers add decompressed copies next to the .zstd shards)."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sorted(
        p.relative_to(folder) for p in files if not p.with_name(p.name + ".zstd").exists()
    )


def test_same_input_and_config_give_byte_identical_shards(project, first):
    second = run_stage(project, "tokenize", run_id="t2", force=True)
    a, b = Path(first.report["shards"]), Path(second.report["shards"])
    files_a, files_b = _written(a), _written(b)
    assert files_a == files_b and len(files_a) > 5
    for rel in files_a:
        if rel.name != "manifest.json":  # it names the run
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert read_manifest(a)["streams"] == read_manifest(b)["streams"]


def test_one_task_writes_the_same_shards_as_several(project, first):
    """The task count only spreads groups over Spark tasks; the shards do not change."""
    config = stage_config(project, "tokenize").model_copy(update={"tasks": 1})
    single = run_stage(project, "tokenize", run_id="t-one-task", force=True, config_override=config)
    a, b = Path(first.report["shards"]), Path(single.report["shards"])
    assert _written(a) == _written(b)
    for rel in _written(a):
        if rel.name != "manifest.json":
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


@pytest.mark.parametrize("tasks", [1, 2, 3])
def test_group_keys_place_each_group_on_its_task_and_balance_the_load(spark, tasks):
    from pyspark.sql import functions as F

    from data_pipeline.tokenize.stage import group_keys

    weights = {("a", 0): 5.0, ("a", 1): 5.0, ("b", 0): 4.0, ("c", 0): 3.0, ("d", 0): 2.0}
    keys = group_keys(spark, weights, tasks)
    rows = [(s, p, keys[(s, p)]) for (s, p) in weights]
    df = spark.createDataFrame(rows, "stream string, part int, key long").repartition(tasks, "key")
    placed = df.select("stream", "part", F.spark_partition_id().alias("task")).collect()
    load = [0.0] * tasks
    for r in placed:
        load[r["task"]] += weights[(r["stream"], r["part"])]
    assert len(placed) == len(weights)
    assert max(load) - min(load) <= max(weights.values())  # what heaviest-first guarantees
    assert len({keys[g] for g in weights}) == tasks  # one key per task


def test_quality_buckets_name_the_streams(spark):
    from data_pipeline.lakehouse.config import ConfigError
    from data_pipeline.tokenize.config import TokenizeConfig
    from data_pipeline.tokenize.stage import _stream_column

    df = spark.createDataFrame(
        [("a", 0.9), ("a", 0.5), ("b", 0.1), ("b", None)], "source string, quality_score double"
    )
    by_quality = TokenizeConfig(streams="quality")
    got = [r[0] for r in df.select(_stream_column(by_quality, df)).collect()]
    assert got == ["high", "medium", "low", "unscored"]
    both = TokenizeConfig(streams="source_quality")
    got = [r[0] for r in df.select(_stream_column(both, df)).collect()]
    assert got == ["a.high", "a.medium", "b.low", "b.unscored"]
    with pytest.raises(ConfigError, match="quality_score"):
        _stream_column(by_quality, df.drop("quality_score"))
