"""Progress of long Spark jobs, as tasks done out of tasks planned, reported every few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession


@contextmanager
def track_progress(
    spark: SparkSession,
    label: str,
    report: Callable[[str, float | None], None],
    total_units: int,
    unit: str = "splits",
    interval_s: float = 3.0,
) -> Iterator[None]:
    """Report ``label: done/total units`` while the block runs Spark jobs.

    Done units are the completed tasks of the active stages (one task per unit of work when the
    stage plans one partition per unit), so the figure follows real work, not a timer.
    """
    stop = threading.Event()
    tracker = spark.sparkContext.statusTracker()

    def poll() -> None:
        last = None
        began = time.monotonic()
        while not stop.wait(interval_s):
            done = total = 0
            for stage_id in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage_id)
                if info is not None:
                    done += info.numCompletedTasks
                    total += info.numTasks
            if total and (done, total) != last:
                last = (done, total)
                fraction = done / total
                rate = done / max(time.monotonic() - began, 1e-9)
                report(
                    f"{label}: {done}/{total} tasks, {rate:.2f} tasks/s "
                    f"({total_units} {unit} planned)",
                    fraction,
                )

    thread = threading.Thread(target=poll, name=f"progress-{label}", daemon=True)
    report(f"{label}: started, {total_units} {unit} planned", 0.0)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval_s)
