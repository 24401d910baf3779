"""Launch commands: one training process locally, or the ``composer`` launcher per node.

Every process runs the same entry point, ``-m training.run RESOLVED_RECIPE --run-name NAME``,
on a recipe file with absolute paths and pinned artifacts, kept on storage every node sees.
Child processes started here die with their parent (Linux ``PR_SET_PDEATHSIG``), so killing
``ladder train`` never leaves an orphaned trainer writing checkpoints.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

ENTRY = "training.run"
DIE_WITH_PARENT = "LADDER_DIE_WITH_PARENT"
DEFAULT_PORT = 29500


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def local_command(recipe_file: Path, run_name: str, gpus: int = 1, python: str | None = None):
    """argv for this machine: plain Python for one process, ``composer -n G`` for more."""
    python = python or sys.executable
    tail = ["-m", ENTRY, str(recipe_file), "--run-name", run_name]
    if gpus <= 1:
        return [python, *tail]
    composer = str(Path(python).with_name("composer"))
    return [composer, "-n", str(gpus), "--master_port", str(DEFAULT_PORT), *tail]


def node_commands(
    recipe_file: Path,
    run_name: str,
    nodes: int,
    gpus_per_node: int,
    master_addr: str = "$MASTER_ADDR",
    master_port: int = DEFAULT_PORT,
) -> list[str]:
    """The exact ``composer`` command to run on each node (node rank 0 first)."""
    if nodes < 1 or gpus_per_node < 1:
        raise ValueError("--nodes and --gpus-per-node must be at least 1")
    world = nodes * gpus_per_node
    commands = []
    for rank in range(nodes):
        argv = [
            "composer",
            "-n", str(gpus_per_node),
            "--world_size", str(world),
            "--node_rank", str(rank),
            "--master_addr", master_addr,
            "--master_port", str(master_port),
            "-m", ENTRY, str(recipe_file),
            "--run-name", run_name,
        ]  # fmt: skip
        commands.append(" ".join(a if a.startswith("$") else shlex.quote(a) for a in argv))
    return commands


# MLflow's fluent API exports its active experiment and run to the environment; a training
# child must not inherit them (its recipe names its own experiment and tracking URI).
INHERITED_MLFLOW_STATE = ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID")


def run_local(argv: list[str], env: dict[str, str] | None = None) -> int:
    """Run ``argv`` in the foreground; it dies if this process is killed."""
    child_env = {k: v for k, v in os.environ.items() if k not in INHERITED_MLFLOW_STATE} | {
        **(env or {}),
        DIE_WITH_PARENT: "1",
    }
    launcher = Path(argv[0]).name == "composer"
    process = subprocess.Popen(
        argv,
        env=child_env,
        preexec_fn=die_with_parent if launcher else None,
    )
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        return process.wait()
