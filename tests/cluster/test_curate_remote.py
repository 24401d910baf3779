"""`ladder curate` on the standalone cluster with landing data, lakehouse and artifacts in the
bucket gives what a local run gives: the same rows, counts and shard bytes; no credential is
recorded anywhere; lineage shows the bucket's URIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from data_pipeline import samples
from data_pipeline.lakehouse import storage
from flows import cluster

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
LADDER = str(Path(sys.executable).with_name("ladder"))
DIGEST = str(Path(__file__).with_name("digest.py"))


def write_landing(folder: Path) -> None:
    """A small real corpus in every compressed and split layout the demo uses."""
    wiki = folder / "wiki"
    wiki.mkdir(parents=True)
    samples._write_jsonl(wiki / "en.jsonl.gz", samples.wiki_records("en")[:120])
    samples._write_jsonl(wiki / "fr.jsonl.zst", samples.wiki_records("fr")[:80])
    parl = folder / "parliament"
    parl.mkdir()
    for lang, relative in list(samples.PARL.items())[:2]:
        rows = samples.csv_in_zip(relative)[:90]
        table = pa.table({"text": [r["text"] for r in rows], "lang": [lang] * len(rows)})
        pq.write_table(table, parl / f"{lang}.parquet", row_group_size=30)
    tweets = samples.csv_in_zip("en/healthtweets.zip")[:250]
    (folder / "tweets").mkdir()
    samples._write_jsonl(
        folder / "tweets" / "healthtweets.jsonl", [{"text": r.get("text", "")} for r in tweets]
    )


def project(root: str, landing: str, master: str) -> dict:
    def src(name: str, path: str, fmt: str, **extra) -> dict:
        return {
            "name": name,
            "path": storage.join(landing, path),
            "format": fmt,
            "licence": "CC-BY-SA-4.0",
            **extra,
        }

    return {
        "lakehouse": storage.join(root, "lakehouse"),
        "artifacts": storage.join(root, "artifacts"),
        "spark": {"master": master, "shuffle_partitions": 4},
        "sources": [
            src("wiki_en", "wiki/en.jsonl.gz", "jsonl", url_field="url", language="en"),
            src("wiki_fr", "wiki/fr.jsonl.zst", "jsonl", url_field="url", language="fr"),
            src("parliament", "parliament/*.parquet", "parquet", metadata_fields=["lang"]),
            src("health_tweets", "tweets/healthtweets.jsonl", "jsonl", language="en"),
        ],
        "pipeline": ["ingest", "filter", "dedup", "decontaminate", "tokenize"],
        "stages": {
            "ingest": {"split_bytes": 16384},  # several splits per file: real parallel reads
            "filter": str(REPO / "conf" / "stages" / "filter.yaml"),
            "dedup": str(REPO / "conf" / "stages" / "dedup.yaml"),
            # the flow publishes benchmark_items (evaluation's items) into the bucket first
            "decontaminate": {
                "input_table": "deduped_docs",
                "index": {"tasks": ["arc_easy", "piqa"], "limit": 20},
            },
            "tokenize": {
                "input_table": "decontaminated_docs",
                "seq_len": 256,
                "part_chars": 40000,
                "heldout": {"fraction": 0.05, "min_docs": 3, "max_share": 0.2},
            },
        },
    }


def run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: int = 900) -> str:
    proc = subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{output[-6000:]}"
    return output


def untimed(counts: dict[str, int]) -> dict[str, int]:
    """Counts without the per-filter timings (``time_ms.*``), which differ from run to run."""
    return {k: v for k, v in counts.items() if not k.startswith("time_ms.")}


def digest(config: Path, env: dict[str, str], cwd: Path) -> dict:
    out = config.with_suffix(".digest.json")
    run(
        [sys.executable, DIGEST, str(config), str(out)],
        {**env, "LADDER_SPARK_MASTER": "local[2]"},
        cwd,
    )
    return json.loads(out.read_text())


def test_curate_on_the_cluster_and_bucket_equals_a_local_run(local_cluster, tmp_path):
    cluster_env = cluster.env(local_cluster)
    secret = cluster_env["AWS_SECRET_ACCESS_KEY"]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LADDER_SPARK_M"))}
    base_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), base_env.get("PYTHONPATH")]))
    remote_env = {**base_env, **cluster_env}

    landing = tmp_path / "landing"
    write_landing(landing)
    bucket = f"s3://{local_cluster.bucket}/e2e"
    os.environ.update(cluster_env)  # this process uploads the landing data like a user would
    try:
        storage.upload_tree(str(landing), storage.join(bucket, "landing"))
        assert len(storage.list_files(storage.join(bucket, "landing"))) == 5
    finally:
        for key in cluster_env:
            os.environ.pop(key, None)

    local_cfg, remote_cfg = tmp_path / "local.yaml", tmp_path / "remote.yaml"
    local_cfg.write_text(yaml.safe_dump(project(str(tmp_path / "out"), str(landing), "local[2]")))
    remote_cfg.write_text(
        yaml.safe_dump(project(bucket, storage.join(bucket, "landing"), local_cluster.master_url))
    )

    run([LADDER, "curate", str(local_cfg)], base_env, tmp_path)
    logs = run([LADDER, "curate", str(remote_cfg)], remote_env, tmp_path)

    local, remote = digest(local_cfg, base_env, tmp_path), digest(remote_cfg, remote_env, tmp_path)
    assert set(remote["tables"]) == set(local["tables"]) and len(local["tables"]) == 10
    for table, (rows, sha) in local["tables"].items():
        assert rows > 0 or table == "quarantine", table
        assert remote["tables"][table] == [rows, sha], table
    for stage in ("ingest", "filter", "dedup", "benchmark_items", "decontaminate", "tokenize"):
        assert untimed(remote["counts"][stage]) == untimed(local["counts"][stage]), stage
    assert local["counts"]["dedup"]["rejected"] > 0  # the tweets hold near duplicates
    assert local["streams"] and remote["streams"] == local["streams"]
    assert remote["shard_root"].startswith(f"{bucket}/artifacts/mds/")

    # credentials: nowhere in what was recorded, logged or stored
    recorded = "\n".join(remote["texts"])
    assert "s3://" in recorded and secret not in recorded
    assert secret not in logs
    os.environ.update(cluster_env)
    try:
        for info in storage.list_files(bucket):
            assert secret.encode() not in storage.read_bytes(info.path), info.path
    finally:
        for key in cluster_env:
            os.environ.pop(key, None)

    lineage = run(
        [LADDER, "lineage", "token_counts", "--config", str(remote_cfg)],
        {**remote_env, "LADDER_SPARK_MASTER": "local[2]"},
        tmp_path,
    )
    assert f"{bucket}/lakehouse" in lineage or f"{bucket}/artifacts" in lineage, lineage
