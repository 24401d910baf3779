"""Fault injection: SIGKILL the process running the Spark driver in the middle of a write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from data_pipeline.lakehouse.lineage import RunLog
from data_pipeline.lakehouse.tables import QUARANTINE
from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse, run_stage
from data_pipeline.stages.ingest import OUTPUT
from tests.corpus import write_all_formats

REPO = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, sources: list[dict], lake: str, only: list[str] | None = None):
    config = {
        "lakehouse": str(tmp_path / lake),
        "spark": {"master": "local[2]", "shuffle_partitions": 2},
        "sources": sources,
        "stages": {"ingest": {"sources": only}} if only else {},
    }
    path = tmp_path / f"{lake}-{'-'.join(only or ['all'])}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _rows(project, version=None):
    lake = open_lakehouse(project)
    df = lake.read(OUTPUT, version).drop("ingested_at")
    return sorted(tuple(sorted(r.asDict().items(), key=lambda kv: kv[0])) for r in df.collect())


def _parquet_files(folder: Path) -> set[Path]:
    return set(folder.rglob("*.parquet")) if folder.exists() else set()


def test_killed_write_leaves_previous_version_and_rerun_matches(tmp_path, spark):
    sources = write_all_formats(tmp_path / "in")
    # the uninterrupted reference run, in its own lakehouse
    reference = load_project(_project(tmp_path, sources, "reference"))
    run_stage(reference, "ingest", run_id="crash-run")
    expected = _rows(reference)

    # the lakehouse under test already holds a version made from two sources
    first = load_project(_project(tmp_path, sources, "lake", only=["plain", "gz"]))
    run_stage(first, "ingest", run_id="earlier")
    lake = open_lakehouse(first)
    before_version = lake.latest_version(OUTPUT)
    before_rows = _rows(first, before_version)
    before_quarantine = lake.latest_version(QUARANTINE)

    config = _project(tmp_path, sources, "lake")
    table_dir = tmp_path / "lake" / OUTPUT
    existing = _parquet_files(table_dir)
    env = dict(os.environ, LADDER_FAULT_WRITE_DELAY_S="120", LADDER_FAULT_WRITE_TABLE=OUTPUT)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "stage",
            "ingest",
            str(config),
            "--no-prefect",
            "--run-id",
            "crash-run",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 180
    try:
        while not (_parquet_files(table_dir) - existing):
            assert proc.poll() is None, "the job ended before the write could be interrupted"
            assert time.time() < deadline, "no data file was written in time"
            time.sleep(0.2)
    finally:
        # SIGKILL the driver process and the JVM it launched (same session)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert _parquet_files(table_dir) - existing, "the kill did not happen mid-write"

    # no partial version: the table is exactly as before, the run is not marked succeeded
    assert lake.latest_version(OUTPUT) == before_version
    assert _rows(first, None) == before_rows
    assert RunLog(lake).get("crash-run", "ingest").status == "running"  # recorded, never finished
    # the guarantee across tables (docs/orchestration.md): the tables are committed together, so
    # the side table may have landed before the kill; if so, its version carries the killed
    # run's id, but no succeeded run lists it (lineage: no maker)
    side = lake.latest_version(QUARANTINE)
    assert side in (before_quarantine, before_quarantine + 1)
    if side == before_quarantine + 1:
        assert lake.commit_metadata(QUARANTINE, side)["run_id"] == "crash-run"
        assert RunLog(lake).producer_of(QUARANTINE, side) is None

    # the rerun (same run id) completes and equals the uninterrupted run
    rerun = run_stage(load_project(config), "ingest", run_id="crash-run")
    assert rerun.run.status == "succeeded"
    # one version of the run either way: a replay does not commit a landed version twice
    assert lake.latest_version(QUARANTINE) == before_quarantine + 1
    assert rerun.outputs[QUARANTINE].version == before_quarantine + 1
    assert RunLog(lake).producer_of(QUARANTINE, before_quarantine + 1).run_id == "crash-run"
    assert lake.latest_version(OUTPUT) == before_version + 1
    assert _rows(first, None) == expected


def test_a_killed_run_is_marked_abandoned_by_the_next_run_and_by_status(tmp_path, spark):
    import socket

    from data_pipeline.lakehouse.lineage import RunRecord, this_holder
    from data_pipeline.status import collect_status

    project = load_project(_project(tmp_path, write_all_formats(tmp_path / "in"), "lake"))
    lake = open_lakehouse(project)
    log = RunLog(lake)
    dead = subprocess.Popen(["true"])
    dead.wait()  # a process that is gone, as after kill -9
    log.record(RunRecord("killed-ingest", "ingest", holder=f"{dead.pid}@{socket.gethostname()}"))
    log.record(RunRecord("killed-filter", "filter", holder="1@another-host"))  # the lock decides
    log.record(RunRecord("live-train", "train", holder=this_holder()))  # this process: alive

    result = run_stage(project, "ingest", run_id="next")
    assert result.run.holder == this_holder()
    killed = log.get("killed-ingest", "ingest")
    assert killed.status == "abandoned" and f"{dead.pid}@" in killed.error
    assert "found by run next" in killed.error
    assert log.get("killed-filter", "filter").status == "running"  # another stage: not judged

    status = collect_status(lake)
    last = {r.stage: r.status for r in status.last_runs}
    assert last["filter"] == "abandoned" and last["train"] == "running"
    assert log.get("killed-filter", "filter").status == "abandoned"
    assert log.get("live-train", "train").status == "running"
