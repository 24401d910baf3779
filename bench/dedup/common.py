"""Shared helpers of the benchmarks: Spark session, timing, CPU time, memory, output folder.

The dedup benchmarks use all of them; the tokenize and filter benchmarks use
``busy_cpu_seconds`` (the whole machine's CPU time, for pipelines that span processes).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "bench" / "out" / "dedup"


def spark_session(cores: int = 2, shuffle_partitions: int = 8, memory: str = "6g"):
    """A local Spark session with the project's Delta jars (as the pipeline builds it)."""
    from data_pipeline.lakehouse.config import SparkSettings
    from data_pipeline.lakehouse.spark import get_spark

    settings = SparkSettings(
        master=f"local[{cores}]",
        driver_memory=memory,
        shuffle_partitions=shuffle_partitions,
        jars_dir=str(REPO / "infra" / "jars"),
        conf={"spark.sql.files.maxPartitionBytes": str(8 * 1024 * 1024)},
    )
    return get_spark(settings)


class TreeMonitor:
    """Samples CPU seconds and RSS of this process and its children (e.g. the Spark JVM)."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.peak_jvm_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.interval):
            for child in me.children(recursive=True):
                try:
                    if "java" in child.name():
                        self.peak_jvm_rss = max(self.peak_jvm_rss, child.memory_info().rss)
                except psutil.Error:
                    pass

    def cpu_seconds(self) -> float:
        me = psutil.Process()
        total = sum(me.cpu_times()[:2])
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(child.cpu_times()[:2])
        return total

    def __enter__(self) -> TreeMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def python_peak_rss() -> int:
    """Peak RSS of this Python process in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def load_average() -> float:
    return os.getloadavg()[0]


def save(name: str, data: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def clock() -> float:
    return time.perf_counter()


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (user, nice, system, irq, softirq).

    Counts the driver, the Spark JVM and every Python worker, including workers that exit during
    a run (Spark stops workers idle for a minute; a per-process sum loses their time), plus
    whatever else runs: on an otherwise idle machine that is a few hundredths of a CPU second
    per second, charged to the Spark pipelines, not to the ceiling.
    """
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq
