"""Ingest throughput: ladder's ingest stage into Delta vs plain pyarrow reading of the same files.

    .venv/bin/python bench/ingest.py [--docs 120000] [--files 8] [--cores 2]

Builds a JSONL corpus of real text (Wikipedia summaries, parliament speeches, health tweets,
cycled to --docs records) under bench/out/ingest, then in one run measures:

- Spark session start (cold, with the Delta jars from infra/jars);
- the floor cost of reading: ``pyarrow.json.read_json`` of every file, one thread;
- ladder's ingest stage (read, validate, hash, quarantine check, Delta commit, verification)
  on local[--cores], whole stage wall time, per core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pyarrow.json as pj
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def build_corpus(out: Path, docs: int, files: int) -> list[Path]:
    from data_pipeline.samples import PARL, csv_in_zip, wiki_records

    texts = [r["text"] for lang in ("en", "fr", "es") for r in wiki_records(lang)]
    for relative in PARL.values():
        texts += [r["text"] for r in csv_in_zip(relative)]
    texts += [r["text"] for r in csv_in_zip("en/healthtweets.zip")]
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"part-{i:02d}.jsonl" for i in range(files)]
    handles = [open(p, "w", encoding="utf-8") for p in paths]  # noqa: SIM115
    for i in range(docs):
        record = {"id": i, "text": texts[i % len(texts)], "url": f"https://example.org/{i}"}
        handles[i % files].write(json.dumps(record, ensure_ascii=False) + "\n")
    for h in handles:
        h.close()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=120_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    out = REPO / "bench" / "out" / "ingest"
    shutil.rmtree(out, ignore_errors=True)
    paths = build_corpus(out / "landing", args.docs, args.files)
    size_mb = sum(p.stat().st_size for p in paths) / 1e6

    started = time.perf_counter()
    rows = 0
    for path in paths:
        table = pj.read_json(path, read_options=pj.ReadOptions(use_threads=False))
        rows += table.num_rows
    pyarrow_s = time.perf_counter() - started
    assert rows == args.docs

    jars = REPO / "infra" / "jars"
    if jars.is_dir():
        os.environ.setdefault("LADDER_SPARK_JARS_DIR", str(jars))
    from data_pipeline.lakehouse import spark as spark_module
    from data_pipeline.lakehouse.config import SparkSettings

    spark_module.get_spark(
        SparkSettings(master=f"local[{args.cores}]", shuffle_partitions=args.cores)
    )
    session_s = spark_module.last_start_seconds

    config = {
        "lakehouse": str(out / "lakehouse"),
        "spark": {"master": f"local[{args.cores}]"},
        "sources": [
            {
                "name": "bench",
                "path": str(out / "landing" / "*.jsonl"),
                "format": "jsonl",
                "licence": "mixed (see data_pipeline.samples)",
                "url_field": "url",
                "id_field": "id",
            }
        ],
        "stages": {"ingest": {"split_bytes": 8 * 1024 * 1024}},
    }
    (out / "bench.yaml").write_text(yaml.safe_dump(config))
    from data_pipeline.project import load_project
    from data_pipeline.runner import run_stage

    project = load_project(out / "bench.yaml")
    started = time.perf_counter()
    result = run_stage(project, "ingest", run_id="bench")
    ingest_s = time.perf_counter() - started
    assert result.run.counts["ingested"] == args.docs, result.run.counts

    pyarrow_rate = args.docs / pyarrow_s
    ladder_rate = args.docs / ingest_s / args.cores
    print(f"corpus: {args.docs:,} JSONL documents, {args.files} files, {size_mb:.0f} MB")
    print(f"spark session start (cold, Delta jars): {session_s:.1f} s")
    print(f"{'':<34}{'seconds':>10}{'docs/s':>12}{'cores':>7}{'docs/s/core':>14}")
    print(
        f"{'pyarrow read_json (floor)':<34}{pyarrow_s:>10.1f}{args.docs / pyarrow_s:>12,.0f}"
        f"{1:>7}{pyarrow_rate:>14,.0f}"
    )
    print(
        f"{'ladder ingest -> Delta (stage)':<34}{ingest_s:>10.1f}{args.docs / ingest_s:>12,.0f}"
        f"{args.cores:>7}{ladder_rate:>14,.0f}"
    )
    print(f"ladder per core / pyarrow per core: {ladder_rate / pyarrow_rate:.2f}")


if __name__ == "__main__":
    main()
