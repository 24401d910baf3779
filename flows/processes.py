"""Background processes of the local platform: start in their own process group, wait for a
line in the log, stop a whole group (SIGTERM, then SIGKILL), and find what is left.

A process group holds a daemon and everything it forked (a Spark worker's executors and their
Python workers), so stopping the group stops them all.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path


def spawn(args: list[str], env: dict[str, str], log_path: Path, cwd: Path) -> subprocess.Popen:
    """Start ``args`` in a new session (its own process group), output appended to ``log_path``."""
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it
    try:
        return subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        log.close()


def wait_for_log(
    log_path: Path, pattern: str, proc: subprocess.Popen | None, what: str, timeout_s: float
) -> re.Match:
    """First match of ``pattern`` in the log; fails early (with the log's tail) if ``proc`` dies."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout_s
    while True:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        match = regex.search(text)
        if match:
            return match
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}:\n{text[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout_s:.0f}s (log {log_path})")
        time.sleep(0.25)


def group_members(pgid: int) -> list[int]:
    """Process ids (not zombies) whose process group is ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, timeout_s: float = 20.0) -> None:
    """SIGTERM the process group, then SIGKILL what is still there after ``timeout_s``."""
    for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5.0)):
        if not group_members(pgid):
            return
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and group_members(pgid):
            time.sleep(0.2)


def processes_under(folder: Path) -> list[int]:
    """Process ids whose working directory lies under ``folder`` (daemons started there, and
    the executors and Python workers they fork)."""
    prefix = str(folder.resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == prefix or cwd.startswith(prefix + os.sep):
            found.append(int(entry.name))
    return found
