"""The local platform: a Prefect server on 127.0.0.1, a process work pool, a worker, deployments.

``up`` starts exactly two background processes (server and worker) and records their process
ids in ``<state>/platform.json``; ``down`` stops exactly those. The server's database lives
under the project (``<state>/home``); telemetry is off.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from flows.processes import spawn

POOL = "ladder-local"


@dataclass
class Platform:
    """What ``up`` started: where it lives and which processes to stop."""

    state_dir: str
    api_url: str
    ui_url: str
    server_pid: int
    worker_pid: int | None
    pool: str


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def platform_env(state_dir: Path, api_url: str | None = None) -> dict[str, str]:
    """Environment for Prefect processes of this platform (home under the project)."""
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(state_dir / "home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_TELEMETRY_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_UI_ENABLED": "true",
        }
    )
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def wait_healthy(
    api_url: str, timeout_s: float = 180.0, proc: subprocess.Popen | None = None
) -> None:
    """Poll ``/health`` until the server answers; fail early if its process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"Prefect server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Prefect server at {api_url} not healthy after {timeout_s:.0f}s")


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args[:4])} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def deploy(
    project_dir: Path,
    env: dict[str, str],
    names: list[str] | None = None,
    params: dict | None = None,
) -> str:
    """``prefect deploy`` the deployments of ``prefect.yaml`` (all, or the named ones)."""
    env = dict(env, LADDER_PROJECT_DIR=str(project_dir))
    args = [
        _bin("prefect"),
        "--no-prompt",
        "deploy",
        "--prefect-file",
        str(project_dir / "prefect.yaml"),
    ]
    if names:
        for name in names:
            args += ["--name", name]
    else:
        args.append("--all")
    if params:
        args += ["--params", json.dumps(params)]
    return _run(args, env, project_dir)


def up(
    project_dir: str | Path = ".",
    port: int = 4200,
    state_dir: str | Path | None = None,
    deployments: list[str] | None = None,
    params: dict | None = None,
    worker: bool = True,
) -> Platform:
    """Start server, work pool, worker and deployments; return what was started."""
    project_dir = Path(project_dir).resolve()
    state = Path(state_dir or project_dir / ".prefect" / "platform").resolve()
    state.mkdir(parents=True, exist_ok=True)
    if (state / "platform.json").exists():
        raise RuntimeError(
            f"a platform is already recorded in {state}; run `ladder platform down` first"
        )
    api_url = f"http://127.0.0.1:{port}/api"
    server_env = dict(platform_env(state), PREFECT_UI_API_URL=api_url)
    server = spawn(
        [_bin("prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        server_env,
        state / "server.log",
        project_dir,
    )
    info = Platform(str(state), api_url, f"http://127.0.0.1:{port}", server.pid, None, POOL)
    _save(state, info)
    try:
        wait_healthy(api_url, proc=server)
        env = platform_env(state, api_url)
        _run(
            [_bin("prefect"), "work-pool", "create", POOL, "--type", "process", "--overwrite"],
            env,
            project_dir,
        )
        deploy(project_dir, env, deployments, params)
        if worker:
            proc = spawn(
                [_bin("prefect"), "worker", "start", "--pool", POOL, "--type", "process"],
                env,
                state / "worker.log",
                project_dir,
            )
            info.worker_pid = proc.pid
            _save(state, info)
    except BaseException:
        down(project_dir, state)
        raise
    return info


def _save(state: Path, info: Platform) -> None:
    (state / "platform.json").write_text(json.dumps(asdict(info), indent=2))


def load(project_dir: str | Path = ".", state_dir: str | Path | None = None) -> Platform | None:
    state = Path(state_dir or Path(project_dir).resolve() / ".prefect" / "platform")
    path = state / "platform.json"
    return Platform(**json.loads(path.read_text())) if path.exists() else None


def _is_prefect(pid: int) -> bool:
    try:
        return b"prefect" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _stop(pid: int | None, timeout_s: float = 20.0) -> None:
    if not pid or not _is_prefect(pid):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _is_prefect(pid):
        time.sleep(0.2)
    if _is_prefect(pid):
        os.killpg(pid, signal.SIGKILL)


def down(project_dir: str | Path = ".", state_dir: str | Path | None = None) -> bool:
    """Stop the worker and server that ``up`` recorded (and nothing else)."""
    info = load(project_dir, state_dir)
    if info is None:
        return False
    _stop(info.worker_pid)
    _stop(info.server_pid)
    (Path(info.state_dir) / "platform.json").unlink(missing_ok=True)
    return True
