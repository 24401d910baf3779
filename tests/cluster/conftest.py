"""One local cluster (s3proxy + Spark master + 2 workers) for the tests of this folder.

It comes up once per session and goes down at the end, and the teardown asserts that no
process is left. Spark drivers run in subprocesses (``driver.py``): the test process may hold
a local Spark session already, and a driver's environment is what a user's would be.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows import cluster
from flows.processes import group_members, processes_under

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.py")


def _missing() -> str | None:
    jars = Path(os.environ.get("LADDER_SPARK_JARS_DIR") or REPO / "infra" / "jars")
    if not list(jars.glob("hadoop-aws-*.jar")):
        return f"no hadoop-aws jar in {jars}: run `make jars`"
    try:
        from flows.object_store import s3proxy_jar

        s3proxy_jar(REPO)
    except FileNotFoundError as error:
        return str(error)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime"
    return None


@pytest.fixture(scope="session")
def local_cluster(tmp_path_factory):
    """The running cluster's ``ClusterInfo``; down at the end, with nothing left behind."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("cluster")
    info = cluster.up(REPO, state_dir=state)
    yield info
    assert cluster.down(REPO, state)
    assert processes_under(state) == []
    assert {name: group_members(pid) for name, pid in info.pids.items()} == {
        name: [] for name in info.pids
    }


@pytest.fixture(scope="session")
def driver(local_cluster, tmp_path_factory):
    """The tests' Spark driver (``driver.py``), started once on the cluster; ``driver.step(name)``
    waits for that step's JSON result, ``driver.folder`` holds results, markers and the log."""
    folder = tmp_path_factory.mktemp("driver")
    env = {**os.environ, **cluster.env(local_cluster)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    with open(folder / "driver.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(DRIVER), str(folder), local_cluster.bucket],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    proc.folder = folder
    proc.step = lambda name: _step(proc, name)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _step(proc: subprocess.Popen, name: str, timeout_s: float = 420.0) -> dict:
    path = proc.folder / f"{name}.json"
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        log = (proc.folder / "driver.log").read_text(errors="replace")[-4000:]
        if proc.poll() is not None:
            raise AssertionError(f"driver exited ({proc.returncode}) before {name}:\n{log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {name} result after {timeout_s:.0f}s:\n{log}")
        time.sleep(0.2)
    return json.loads(path.read_text())
