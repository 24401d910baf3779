"""The local cluster for real: Delta on the S3 store from a standalone Spark cluster, errors that
name the URI, no credentials written anywhere, and a worker SIGKILLed mid-stage.

The worker-kill test runs last and starts the worker again, so the session's cluster is whole
for whatever runs after it.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from flows import cluster
from flows.processes import group_members, processes_under

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def roundtrip(local_cluster, run_driver):
    return run_driver("roundtrip", local_cluster.bucket)


def test_cluster_is_up_on_loopback(local_cluster):
    state = cluster.status(state_dir=local_cluster.state_dir)
    assert state["alive_workers"] == 2
    assert all(p["alive"] for p in state["processes"].values())
    assert local_cluster.master_url.startswith("spark://127.0.0.1:")
    assert local_cluster.s3_endpoint.startswith("http://127.0.0.1:")
    assert len(set(local_cluster.pids.values())) == 4  # store, master, two workers


def test_delta_roundtrip_through_the_bucket_on_both_workers(roundtrip, local_cluster):
    assert roundtrip["digest"][:2] == roundtrip["expected"]
    assert sum(roundtrip["readers"].values()) == 20000
    assert sorted(roundtrip["readers"]) == ["worker-1", "worker-2"]
    table = Path(local_cluster.state_dir, "s3", local_cluster.bucket, "roundtrip", "table")
    assert (table / "_delta_log" / "00000000000000000000.json").is_file()
    assert list(table.glob("*.parquet"))


def test_bad_remote_input_names_the_uri(roundtrip, local_cluster):
    errors, bucket = roundtrip["errors"], local_cluster.bucket
    assert f"s3a://{bucket}-no-such-bucket/t" in errors["missing_bucket"]
    assert f"s3a://{bucket}/no/such/prefix" in errors["missing_prefix"]
    for case in ("wrong_credentials_read", "wrong_credentials_write"):
        assert f"s3a://{bucket}-locked/" in errors[case], errors[case]
        assert "403" in errors[case] or "AccessDenied" in errors[case], errors[case]
    assert errors["written_after_refusal"] == []
    assert errors["truncated_object"] in errors["truncated"], errors["truncated"]


def test_credentials_are_never_written(roundtrip, local_cluster, driver_dir):
    secret = cluster.credentials(local_cluster).secret_key
    assert secret not in repr(roundtrip["spark_conf"])
    assert secret not in repr(roundtrip["history"])
    private = {"credentials.json", "s3proxy.properties"}  # 0600, the store's own key
    scanned = 0
    roots = [Path(local_cluster.state_dir), driver_dir]
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.name not in private:
                assert secret.encode() not in path.read_bytes(), path
                scanned += 1
    assert scanned > 10  # logs of every process and executor, the bucket's objects, the driver


def _markers(folder: Path, run: str) -> list[tuple[int, int, str]]:
    found = []
    for path in folder.glob(f"{run}-*"):
        _, partition, attempt, worker = path.name.split("-", 3)
        found.append((int(partition), int(attempt), worker))
    return found


def test_worker_killed_mid_stage_gives_the_same_output(local_cluster, run_driver, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    driver = run_driver("kill", local_cluster.bucket, str(markers), wait=False)
    victim = local_cluster.pids["worker-2"]
    deadline = time.monotonic() + 300
    while not any(w == "worker-2" for _, _, w in _markers(markers, "disturbed")):
        assert driver.poll() is None, "driver ended before the disturbed run started"
        assert time.monotonic() < deadline, "no task of the disturbed run reached worker-2"
        time.sleep(0.1)
    executors = processes_under(Path(local_cluster.state_dir, "worker-2", "work"))
    assert executors, "worker-2 runs a task but no executor of it was found"
    os.killpg(victim, signal.SIGKILL)  # the worker and its executor, mid-task
    result = driver.result()
    assert group_members(victim) == []
    assert not any(Path(f"/proc/{pid}").exists() for pid in executors)

    tables = result["tables"]
    assert len(tables["clean"]) == 97 and tables["disturbed"] == tables["clean"]
    assert sum(row[1] for row in tables["clean"]) == 40000
    disturbed = _markers(markers, "disturbed")
    killed = {p for p, _, w in disturbed if w == "worker-2"}
    reran = {p for p, a, w in disturbed if w == "worker-1" and a > 0}
    assert killed & reran, f"no task lost on worker-2 was rerun on worker-1: {sorted(disturbed)}"

    cluster.restart_worker(local_cluster, 2)
    assert cluster.status(state_dir=local_cluster.state_dir)["alive_workers"] == 2
