"""ladder's fuzzy dedup (signatures -> buckets -> components -> filter) over a Parquet folder.

    .venv/bin/python -m bench.dedup.ladder_minhash IN_DIR OUT_DIR --cores 1 [--bands 14
        --rows 8] [--no-verify] [--no-exact]

Runs the stage's engine (``data_pipeline.dedup.deduplicate``) on a local Spark session and
writes the kept documents as Parquet. Prints one JSON line: seconds (without and with the
Spark session start), CPU seconds of the process tree, peak RSS of the Python driver and of
the Spark JVM, counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil

from bench.dedup.common import TreeMonitor, clock, python_peak_rss, spark_session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--cores", type=int, default=1)
    parser.add_argument("--bands", type=int, default=None)
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--num-perm", type=int, default=112)
    parser.add_argument("--no-verify", action="store_true")
    parser.add_argument("--no-exact", action="store_true")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--memory", default="6g")
    args = parser.parse_args()
    shutil.rmtree(args.output, ignore_errors=True)
    with TreeMonitor() as monitor:
        cpu0, t0 = monitor.cpu_seconds(), clock()
        spark = spark_session(args.cores, args.shuffle_partitions, args.memory)
        from pyspark.sql import functions as F

        from data_pipeline.dedup import DedupConfig, deduplicate

        config = DedupConfig(
            num_perm=args.num_perm,
            bands=args.bands,
            rows=args.rows,
            verify=not args.no_verify,
            exact=not args.no_exact,
        )
        started = clock()
        docs = spark.read.parquet(args.input).withColumns(
            {"url_or_path": F.col("doc_id"), "ingested_at": F.lit(dt.datetime(2024, 1, 1))}
        )
        result = deduplicate(docs, config, "bench")
        result.kept.write.parquet(args.output)
        done = clock()
        cpu = monitor.cpu_seconds() - cpu0
    print(
        json.dumps(
            {
                "seconds": round(done - started, 2),
                "seconds_with_spark_start": round(done - t0, 2),
                "cpu_seconds": round(cpu, 1),
                "python_peak_rss_mb": round(python_peak_rss() / 2**20, 1),
                "jvm_peak_rss_mb": round(monitor.peak_jvm_rss / 2**20, 1),
                "phases": result.report["phase_seconds"],
                "banding": [result.report["banding"]["bands"], result.report["banding"]["rows"]],
                "counts": {
                    k: v
                    for k, v in result.counts.items()
                    if (not k.startswith("source.") and "." in k) or k in ("input", "kept")
                },
            }
        )
    )


if __name__ == "__main__":
    main()
