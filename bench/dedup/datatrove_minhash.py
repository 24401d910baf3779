"""datatrove's MinHash dedup (4 stages) over a Parquet folder; runs in bench/.venv-datatrove.

    bench/.venv-datatrove/bin/python bench/dedup/datatrove_minhash.py IN_DIR WORK_DIR \
        --workers 1 --ngrams 5 --bands 14 --rows 8

Prints one JSON line: seconds per stage and in total, CPU seconds, documents kept. Stage 1
(signatures) and 4 (filter + write) run one task per input file; stage 2 one task per band;
stage 3 (clustering) is a single task, as datatrove designs it.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import shutil
import time

import psutil
import pyarrow.parquet as pq
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter


def cpu_seconds() -> float:
    me = psutil.Process()
    total = sum(me.cpu_times()[:4])  # includes reaped children
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:2])
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("work")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--ngrams", type=int, default=5)
    parser.add_argument("--bands", type=int, default=14)
    parser.add_argument("--rows", type=int, default=8)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    files = len(glob.glob(f"{args.input}/*.parquet"))
    config = MinhashConfig(n_grams=args.ngrams, num_buckets=args.bands, hashes_per_bucket=args.rows)
    w = args.work

    def reader():
        return ParquetReader(args.input, text_key="text", id_key="doc_id", glob_pattern="*.parquet")

    stages = {
        "signatures": (
            [reader(), MinhashDedupSignature(output_folder=f"{w}/sigs", config=config)],
            files,
        ),
        "buckets": (
            [
                MinhashDedupBuckets(
                    input_folder=f"{w}/sigs", output_folder=f"{w}/buckets", config=config
                )
            ],
            config.num_buckets,
        ),
        "cluster": (
            [
                MinhashDedupCluster(
                    input_folder=f"{w}/buckets", output_folder=f"{w}/remove", config=config
                )
            ],
            1,
        ),
        "filter": (
            [
                reader(),
                MinhashDedupFilter(input_folder=f"{w}/remove"),
                ParquetWriter(output_folder=f"{w}/out"),
            ],
            files,
        ),
    }
    seconds = {}
    cpu0, start = cpu_seconds(), time.perf_counter()
    for name, (pipeline, tasks) in stages.items():
        t = time.perf_counter()
        LocalPipelineExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=min(args.workers, tasks),
            logging_dir=f"{w}/logs/{name}",
            skip_completed=False,
        ).run()
        seconds[name] = round(time.perf_counter() - t, 2)
    total = time.perf_counter() - start
    cpu = cpu_seconds() - cpu0
    kept = sum(
        pq.ParquetFile(f).metadata.num_rows
        for f in glob.glob(f"{w}/out/**/*.parquet", recursive=True)
    )
    print(
        json.dumps(
            {
                "seconds": round(total, 2),
                "stages": seconds,
                "cpu_seconds": round(cpu, 1),
                "kept": kept,
            }
        )
    )


if __name__ == "__main__":
    main()
