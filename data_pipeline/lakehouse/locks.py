"""One writer at a time per table or stage: advisory locks under ``<lakehouse>/_locks``.

On a local or network file system the lock is ``fcntl.flock`` on a file: the kernel releases it
when the holder dies, so a killed run never leaves a stale lock behind. A second writer waits
(logging who holds the lock) until ``timeout_s``, then fails with a message naming the holder.
For object-store lakehouses (``s3://``, ``abfss://``...) there is no shared file system; there
Delta's optimistic concurrency control is the guard (a conflicting commit fails, nothing is
corrupted) and Prefect deployments add ``concurrency_limit``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class LockTimeout(RuntimeError):
    """Another writer held the lock for longer than the caller was willing to wait."""


def _holder(path: str) -> str:
    try:
        with open(path + ".holder", encoding="utf-8") as f:
            info = json.load(f)
        return (
            f"run {info.get('owner')} (pid {info.get('pid')} on {info.get('host')}, "
            f"since {info.get('since')})"
        )
    except (OSError, ValueError):
        return "another process"


def is_locking(root: str) -> bool:
    """Whether locks under ``root`` are real (a file system) rather than a no-op (object store)."""
    return "://" not in root or root.startswith("file://")


@contextmanager
def exclusive(
    root: str, name: str, owner: str, timeout_s: float = 3600.0, poll_s: float = 0.5
) -> Iterator[None]:
    """Hold the lock ``name`` of the lakehouse at ``root`` for the duration of the block."""
    if not is_locking(root):
        yield  # object store: Delta's optimistic concurrency is the guard
        return
    folder = os.path.join(root.removeprefix("file://"), "_locks")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.lock")
    handle = open(path, "a+")  # noqa: SIM115 - held for the block's duration
    deadline = time.monotonic() + timeout_s
    announced = False
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"{name} is being written by {holder}; waited "
                        f"{timeout_s:.0f}s (retry later, or wait longer with "
                        "LADDER_LOCK_TIMEOUT_S=SECONDS)"
                    ) from None
                if not announced:
                    log.warning("waiting for %s: held by %s", name, holder)
                    announced = True
                time.sleep(poll_s)
        with open(path + ".holder", "w", encoding="utf-8") as f:
            json.dump(
                {
                    "owner": owner,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                },
                f,
            )
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
