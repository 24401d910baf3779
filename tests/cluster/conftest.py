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
def driver_dir(tmp_path_factory) -> Path:
    """Where drivers run and write their logs and results."""
    return tmp_path_factory.mktemp("drivers")


@pytest.fixture(scope="session")
def run_driver(local_cluster, driver_dir):
    """Run ``driver.py ACTION`` on the cluster; return its JSON result (or, with
    ``wait=False``, the process, whose ``result()`` waits for it)."""

    def run(action: str, *args: str, wait: bool = True):
        out, log_path = driver_dir / f"{action}.json", driver_dir / f"{action}.log"
        env = {**os.environ, **cluster.env(local_cluster)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        cmd = [sys.executable, str(DRIVER), action, str(out), *args]
        log = open(log_path, "wb")  # noqa: SIM115 - closed by _result
        proc = subprocess.Popen(cmd, env=env, cwd=driver_dir, stdout=log, stderr=subprocess.STDOUT)
        proc.result = lambda: _result(proc, out, log_path, log)
        return proc.result() if wait else proc

    return run


def _result(proc: subprocess.Popen, out: Path, log_path: Path, log) -> dict:
    try:
        code = proc.wait(timeout=420)
    finally:
        log.close()
    if code != 0:
        raise AssertionError(f"driver failed ({code}):\n{log_path.read_text()[-4000:]}")
    return json.loads(out.read_text())
