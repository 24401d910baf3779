"""Cluster and object-store overhead: the same dedup + tokenize work in three set-ups.

    .venv/bin/python bench/cluster.py [--chars 2000000]

Starts the local cluster (``flows.cluster``: s3proxy, a Spark master, 2 one-core workers) and
runs, one after the other, each in its own driver process (a fresh Spark application):

1. ``local[2]``, lakehouse and artifacts on the local disk (the baseline);
2. ``local[2]``, lakehouse and artifacts in the bucket (``s3://ladder/bench/...``);
3. the 2-worker cluster, lakehouse and artifacts in the bucket.

2 vs 1 is the object store's overhead, 3 vs 2 the cluster's. Each driver first writes the same
input table (real text: Wikipedia summaries and parliament speeches cycled to about --chars
characters, as in bench/tokenize_corpus.py; cycling makes exact duplicates for dedup), which also
warms the JVM and the Python workers, then times the ``dedup`` and ``tokenize`` stages
(``run_stage``, the stage's own caching off). The kept documents, the tokens written and the
shard set's content hash must be equal across the three, or the run fails. Results:
``bench/out/cluster/result.json`` and a table on stdout. Compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]
OUT = REPO / "bench" / "out" / "cluster"
SETUPS = {  # name: (master, storage)
    "local[2], disk": ("local[2]", "disk"),
    "local[2], store": ("local[2]", "store"),
    "cluster, store": ("cluster", "store"),
}


def run_one(name: str, chars: int, folder: Path) -> dict:
    """One set-up in this process (its env says where the cluster and store are)."""
    from bench.tokenize_corpus import build_table
    from data_pipeline.lakehouse import storage
    from data_pipeline.lakehouse.config import SparkSettings
    from data_pipeline.lakehouse.spark import get_spark
    from data_pipeline.lakehouse.tokenizer import default_tokenizer_dir
    from data_pipeline.project import load_project
    from data_pipeline.runner import new_run_id, run_stage
    from data_pipeline.tokenize.mds_sets import content_hash

    master, where = SETUPS[name]
    cluster_master = os.environ.pop("LADDER_SPARK_MASTER")  # it would override local[2]
    master = cluster_master if master == "cluster" else master
    slug = name.replace("[2], ", "-").replace(", ", "-")
    root = f"s3://ladder/bench/{slug}" if where == "store" else str(folder / slug)
    conf = {"spark.scheduler.minRegisteredResourcesRatio": "1.0"}
    config = {
        "lakehouse": f"{root}/lakehouse",
        "artifacts": f"{root}/artifacts",
        "spark": {"master": master, "shuffle_partitions": 4, "conf": conf},
        "pipeline": ["dedup", "tokenize"],
        "stages": {
            "dedup": {"input_table": "bench_docs"},
            "tokenize": {
                "tokenizer": str(default_tokenizer_dir(REPO / "artifacts")),
                "eos_token": "<|endoftext|>",
                "part_chars": max(1000, chars // 4),
                "tasks": 2,
                "heldout": {"fraction": 0.0, "min_docs": 0},
            },
        },
    }
    (folder / f"{slug}.yaml").write_text(yaml.safe_dump(config))
    project = load_project(folder / f"{slug}.yaml")
    started = time.perf_counter()
    spark = get_spark(SparkSettings(master=master, driver_memory="2g", conf=conf))
    result = {"session_s": time.perf_counter() - started}
    started = time.perf_counter()
    docs, total = build_table(spark, project.lakehouse, chars, "bench_docs")
    result.update(input_s=time.perf_counter() - started, docs=docs, chars=total)
    for stage in ("dedup", "tokenize"):
        started = time.perf_counter()
        done = run_stage(project, stage, run_id=new_run_id(), force=True)
        result[f"{stage}_s"] = time.perf_counter() - started
        if stage == "dedup":
            result["kept"] = done.run.counts["kept"]
        else:
            result["tokens"] = done.run.counts["tokens.written"]
            manifest = json.loads(
                storage.read_text(storage.join(done.report["shards"], "manifest.json"))
            )
            result["shards"] = sum(len(s["shards"]) for s in manifest["streams"].values())
            result["content_hash"] = content_hash(manifest)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", type=int, default=2_000_000)
    parser.add_argument("--one", choices=list(SETUPS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("LADDER_SPARK_JARS_DIR", str(REPO / "infra" / "jars"))
    if args.one:
        print(json.dumps(run_one(args.one, args.chars, OUT)))
        return
    from flows import cluster

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    started = time.perf_counter()
    info = cluster.up(REPO, state_dir=OUT / "state")
    results = {"cluster_up_s": time.perf_counter() - started, "chars": args.chars, "runs": {}}
    try:
        env = {**os.environ, **cluster.env(info)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        for name in SETUPS:
            done = subprocess.run(
                [sys.executable, __file__, "--one", name, "--chars", str(args.chars)],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
            results["runs"][name] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{name}: {results['runs'][name]}", file=sys.stderr, flush=True)
    finally:
        cluster.down(REPO, OUT / "state")
    (OUT / "result.json").write_text(json.dumps(results, indent=2))
    report(results)


def report(results: dict) -> None:
    runs = results["runs"]
    same = {k: {r[k] for r in runs.values()} for k in ("kept", "tokens", "content_hash")}
    if any(len(v) != 1 for v in same.values()):
        raise SystemExit(f"outputs differ between set-ups: {same}")
    base = runs["local[2], disk"]
    first = next(iter(runs.values()))
    print(
        f"{first['docs']} documents, {first['chars']:,} characters; kept {first['kept']}, "
        f"{first['tokens']:,} tokens in {first['shards']} shards, identical in all set-ups"
    )
    heads = ("session", "input", "dedup", "tokenize", "d+t", "vs disk")
    print(f"{'set-up':16} " + " ".join(f"{h:>9}" for h in heads))
    for name, r in runs.items():
        work = r["dedup_s"] + r["tokenize_s"]
        ratio = work / (base["dedup_s"] + base["tokenize_s"])
        cells = (r["session_s"], r["input_s"], r["dedup_s"], r["tokenize_s"], work)
        print(f"{name:16} " + " ".join(f"{c:9.1f}" for c in cells) + f" {ratio:8.2f}x")
    load = os.getloadavg()[0]
    print(f"cluster up: {results['cluster_up_s']:.1f} s; load average at the end {load:.1f}")


if __name__ == "__main__":
    main()
