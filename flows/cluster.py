"""The local cluster: an S3-compatible store plus a Spark standalone master and its workers.

``up`` starts, each as a separate process in its own process group, bound to 127.0.0.1 on
ephemeral ports: s3proxy (``flows.object_store``) and, from the installed pyspark,
``spark-class org.apache.spark.deploy.master.Master`` and ``workers`` (default 2)
``...deploy.worker.Worker``, each worker with one core, ``worker_memory`` (default 2g) and its
own work and local (shuffle) folders. Workers get the store's endpoint and key in their
environment, as cluster nodes get theirs from an instance profile; nothing else is shared.

State lives in ``<project>/.cluster`` (or ``state_dir``): ``cluster.json`` (process ids, URLs),
``credentials.json`` (0600) and one log per process. ``down`` stops exactly those process
groups (SIGTERM, then SIGKILL) and checks that nothing is left. docs/cluster.md tells how the
same settings point at a real cluster and a real bucket.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyspark

from flows import object_store
from flows.object_store import Credentials
from flows.processes import processes_under, spawn, stop_group, wait_for_log

MASTER = "org.apache.spark.deploy.master.Master"
WORKER = "org.apache.spark.deploy.worker.Worker"
LOOPBACK_ARGS = ("--host", "127.0.0.1", "--port", "0", "--webui-port", "0")
SPARK_DEFAULTS = "spark.master.rest.enabled false\nspark.ui.killEnabled false\n"


@dataclass
class ClusterInfo:
    """What ``up`` started: URLs, the bucket, and the process (group) ids by name."""

    state_dir: str
    master_url: str
    master_ui: str
    s3_endpoint: str
    bucket: str
    worker_memory: str = "2g"
    pids: dict[str, int] = field(default_factory=dict)
    worker_dirs: list[str] = field(default_factory=list)


def _state(project_dir: str | Path, state_dir: str | Path | None) -> Path:
    return Path(state_dir or Path(project_dir) / ".cluster").resolve()


def _spark_class() -> str:
    return str(Path(pyspark.__file__).parent / "bin" / "spark-class")


def _daemon_env(state: Path, creds: Credentials, endpoint: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_CONF_DIR": str(state / "conf"),
            "SPARK_DAEMON_MEMORY": "512m",
            "PYSPARK_PYTHON": sys.executable,
            "AWS_ACCESS_KEY_ID": creds.access_key,
            "AWS_SECRET_ACCESS_KEY": creds.secret_key,
            "AWS_REGION": object_store.REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "S3_ENDPOINT_URL": endpoint,
        }
    )
    return env


def up(
    project_dir: str | Path = ".",
    state_dir: str | Path | None = None,
    workers: int = 2,
    worker_memory: str = "2g",
    bucket: str = "ladder",
    timeout_s: float = 180.0,
) -> ClusterInfo:
    """Start the store (with ``bucket``), the master and the workers; return what started."""
    project_dir = Path(project_dir).resolve()
    state = _state(project_dir, state_dir)
    if (state / "cluster.json").exists():
        raise RuntimeError(f"a cluster is recorded in {state}; run `ladder platform cluster down`")
    (state / "conf").mkdir(parents=True, exist_ok=True)
    (state / "conf" / "spark-defaults.conf").write_text(SPARK_DEFAULTS)
    creds = Credentials.generate()
    object_store.write_private(state / "credentials.json", json.dumps(asdict(creds)))
    info = ClusterInfo(str(state), "", "", "", bucket, worker_memory)
    _save(info)
    try:
        store, info.s3_endpoint = object_store.start(project_dir, state, creds, timeout_s)
        info.pids["s3proxy"] = store.pid
        _save(info)
        env = _daemon_env(state, creds, info.s3_endpoint)
        log = state / "master.log"
        defaults = str(state / "conf" / "spark-defaults.conf")
        master = spawn(
            [_spark_class(), MASTER, *LOOPBACK_ARGS, "--properties-file", defaults],
            env,
            log,
            state,
        )
        info.pids["master"] = master.pid
        _save(info)
        info.master_url = wait_for_log(
            log, r"Starting Spark master at (spark://\S+)", master, "Spark master", timeout_s
        ).group(1)
        port = wait_for_log(
            log, r"service 'MasterUI' on port (\d+)", master, "Spark master UI", timeout_s
        ).group(1)
        info.master_ui = f"http://127.0.0.1:{port}"
        for i in range(1, workers + 1):
            _start_worker(info, i, env)
        _wait_workers(info, workers, timeout_s)
        object_store.create_bucket(info.s3_endpoint, creds, bucket)
    except BaseException:
        down(project_dir, state)
        raise
    return info


def _start_worker(info: ClusterInfo, i: int, env: dict[str, str]) -> None:
    folder = Path(info.state_dir) / f"worker-{i}"
    (folder / "local").mkdir(parents=True, exist_ok=True)
    (folder / "work").mkdir(exist_ok=True)
    args = ["--cores", "1", "--memory", info.worker_memory, "--work-dir", str(folder / "work")]
    proc = spawn(
        [_spark_class(), WORKER, info.master_url, *LOOPBACK_ARGS, *args],
        dict(env, SPARK_LOCAL_DIRS=str(folder / "local")),
        folder.with_suffix(".log"),
        folder.parent,
    )
    info.pids[f"worker-{i}"] = proc.pid
    if str(folder) not in info.worker_dirs:
        info.worker_dirs.append(str(folder))
    _save(info)


def restart_worker(info: ClusterInfo, i: int, timeout_s: float = 180.0) -> None:
    """Start worker ``i`` again (after it died or was killed) and wait until it registers."""
    stop_group(info.pids[f"worker-{i}"])
    env = _daemon_env(Path(info.state_dir), credentials(info), info.s3_endpoint)
    _start_worker(info, i, env)
    _wait_workers(info, len(info.worker_dirs), timeout_s)


def _wait_workers(info: ClusterInfo, n: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        alive = master_state(info).get("aliveworkers", 0)
        if alive >= n:
            return
        dead = [k for k, pid in info.pids.items() if not _alive(pid)]
        if dead or time.monotonic() > deadline:
            raise RuntimeError(
                f"{alive} of {n} Spark workers registered; stopped: {dead or 'none'} "
                f"(logs in {info.state_dir})"
            )
        time.sleep(0.5)


def master_state(info: ClusterInfo) -> dict:
    """The master's JSON status (``aliveworkers``, ``workers``, ``activeapps``...), or {}."""
    try:
        with urllib.request.urlopen(f"{info.master_ui}/json/", timeout=5) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


def _save(info: ClusterInfo) -> None:
    (Path(info.state_dir) / "cluster.json").write_text(json.dumps(asdict(info), indent=2))


def load(project_dir: str | Path = ".", state_dir: str | Path | None = None) -> ClusterInfo | None:
    """The cluster recorded in the state folder, or None."""
    path = _state(project_dir, state_dir) / "cluster.json"
    return ClusterInfo(**json.loads(path.read_text())) if path.exists() else None


def credentials(info: ClusterInfo) -> Credentials:
    """The store's access key (from the 0600 file of the state folder)."""
    return Credentials(**json.loads((Path(info.state_dir) / "credentials.json").read_text()))


def env(info: ClusterInfo) -> dict[str, str]:
    """Environment for a driver (``ladder ...``) using this cluster and its store."""
    creds = credentials(info)
    return {
        "LADDER_SPARK_MASTER": info.master_url,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "AWS_ACCESS_KEY_ID": creds.access_key,
        "AWS_SECRET_ACCESS_KEY": creds.secret_key,
        "AWS_REGION": object_store.REGION,
        "AWS_ENDPOINT_URL": info.s3_endpoint,
        "S3_ENDPOINT_URL": info.s3_endpoint,
    }


def status(project_dir: str | Path = ".", state_dir: str | Path | None = None) -> dict | None:
    """Per process: pid and whether it runs; workers alive per the master. None: no cluster."""
    info = load(project_dir, state_dir)
    if info is None:
        return None
    procs = {name: {"pid": pid, "alive": _alive(pid)} for name, pid in info.pids.items()}
    master = master_state(info) if info.master_ui else {}
    return {
        "master_url": info.master_url,
        "master_ui": info.master_ui,
        "s3_endpoint": info.s3_endpoint,
        "bucket": f"s3://{info.bucket}",
        "processes": procs,
        "alive_workers": master.get("aliveworkers", 0),
    }


def down(project_dir: str | Path = ".", state_dir: str | Path | None = None) -> bool:
    """Stop the recorded process groups (workers first); fail if any process is left."""
    state = _state(project_dir, state_dir)
    info = load(project_dir, state)
    if info is None:
        return False
    for name in sorted(info.pids, key=lambda n: (n == "s3proxy", n == "master", n)):
        stop_group(info.pids[name])
    left = processes_under(state)
    if left:
        raise RuntimeError(f"processes still running under {state}: {left}")
    (state / "cluster.json").unlink()
    (state / "credentials.json").unlink(missing_ok=True)
    shutil.rmtree(state / "conf", ignore_errors=True)
    return True
