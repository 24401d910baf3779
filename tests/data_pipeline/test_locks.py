"""One writer at a time: a second writer waits, or fails naming the holder; kills free locks."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time

import pytest

from data_pipeline.lakehouse.locks import LockTimeout, exclusive


def _hold(root: str, seconds: float, ready) -> None:
    with exclusive(root, "table-docs", "run-A"):
        ready.set()
        time.sleep(seconds)


def test_second_writer_fails_clearly_naming_the_holder(tmp_path):
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), 30, ready))
    holder.start()
    try:
        assert ready.wait(20)
        with (
            pytest.raises(
                LockTimeout,
                match=r"table-docs is being written by run run-A \(pid.*LADDER_LOCK_TIMEOUT_S",
            ),
            exclusive(str(tmp_path), "table-docs", "run-B", timeout_s=0.5),
        ):
            pass
    finally:
        holder.kill()
        holder.join()


def test_second_writer_waits_for_the_first(tmp_path):
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), 1.5, ready))
    holder.start()
    assert ready.wait(20)
    started = time.monotonic()
    with exclusive(str(tmp_path), "table-docs", "run-B", timeout_s=30):
        waited = time.monotonic() - started
    holder.join()
    assert waited >= 0.5


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), 60, ready))
    holder.start()
    assert ready.wait(20)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    with exclusive(str(tmp_path), "table-docs", "run-C", timeout_s=2):
        pass


def test_object_store_roots_rely_on_delta_concurrency():
    with exclusive("s3://bucket/lakehouse", "table-docs", "run-D", timeout_s=0):
        pass
