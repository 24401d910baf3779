"""Create (or reuse) ``bench/.venv-datatrove``: datatrove 0.10.1 from PyPI, for baselines.

Another benchmark may create the same venv; a file lock keeps two creators apart, and an
existing venv whose datatrove imports is reused as it is.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
VENV = BENCH / ".venv-datatrove"
DATATROVE = "datatrove[processing]==0.10.1"


def python() -> Path:
    return VENV / "bin" / "python"


def _works() -> bool:
    if not python().exists():
        return False
    probe = subprocess.run(
        [str(python()), "-c", "import datatrove.pipeline.dedup.minhash, nltk, spacy"],
        capture_output=True,
    )
    return probe.returncode == 0


def ensure() -> Path:
    """Path of the venv's Python, creating the venv on first use (a few minutes)."""
    with open(BENCH / ".venv-datatrove.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _works():
            return python()
        if not python().exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python()), "-m", "pip", "install", "-q", DATATROVE, "pyarrow", "psutil"],
            check=True,
        )
        if not _works():
            raise RuntimeError(f"{VENV}: datatrove does not import after installation")
    return python()


if __name__ == "__main__":
    print(ensure())
