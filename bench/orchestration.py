"""Orchestration overhead per stage: a stage as a Prefect task in a flow vs a direct call.

    .venv/bin/python bench/orchestration.py [--repeats 5]

Same tiny input (21 documents, 7 formats) and the same forced ingest stage in both arms, in one
process with one Spark session, so the difference is what orchestration adds per stage: Prefect
task and flow bookkeeping, table/progress artifacts, the status artifact, parameter validation.
The Spark session start, paid once per flow-run process, is reported on its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    out = REPO / "bench" / "out" / "orchestration"
    from tests.corpus import write_all_formats

    config = {
        "lakehouse": str(out / "lakehouse"),
        "spark": {
            "master": "local[2]",
            "shuffle_partitions": 2,
            "jars_dir": str(REPO / "infra" / "jars"),
        },
        "sources": write_all_formats(out / "in"),
    }
    path = out / "p.yaml"
    path.write_text(yaml.safe_dump(config))

    from data_pipeline.lakehouse import spark as spark_module
    from data_pipeline.project import load_project
    from data_pipeline.runner import run_stage

    project = load_project(path)
    spark_module.get_spark(project.spark)
    session_s = spark_module.last_start_seconds
    run_stage(project, "ingest", force=True)  # warm-up: JIT, Delta log cache

    from prefect.testing.utilities import prefect_test_harness

    from flows.curate import run_single_stage

    direct, flow = [], []
    with prefect_test_harness(server_startup_timeout=180):
        run_single_stage(config=str(path), stage="ingest", force=True)  # warm-up
        for _ in range(args.repeats):  # interleaved, so load drifts hit both arms alike
            started = time.perf_counter()
            run_stage(load_project(path), "ingest", force=True)
            direct.append(time.perf_counter() - started)
            started = time.perf_counter()
            run_single_stage(config=str(path), stage="ingest", force=True)
            flow.append(time.perf_counter() - started)
    d, f = statistics.median(direct), statistics.median(flow)
    print(f"spark session start (once per flow-run process): {session_s:.1f} s")
    print(f"{'arm':<38}{'median s':>10}{'min s':>8}{'max s':>8}")
    print(f"{'run_stage(ingest) direct':<38}{d:>10.2f}{min(direct):>8.2f}{max(direct):>8.2f}")
    print(f"{'stage flow + task (Prefect server)':<38}{f:>10.2f}{min(flow):>8.2f}{max(flow):>8.2f}")
    print(f"orchestration overhead per stage: {f - d:.2f} s (median of {args.repeats})")


if __name__ == "__main__":
    main()
