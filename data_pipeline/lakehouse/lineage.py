"""The ``runs`` table and lineage queries.

One row per (run_id, stage): status, resolved config and its hash, code version, cache key,
input and output table versions, counts and timings. Data stages, training runs and evaluations
all record themselves here, so one query walks from a score back to raw files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from data_pipeline.lakehouse import delta_log, schemas
from data_pipeline.lakehouse.names import ARTIFACT_PREFIX
from data_pipeline.lakehouse.tables import RUNS, Lakehouse, Ref, stored_ref

RUNNING, SUCCEEDED, FAILED, SKIPPED = "running", "succeeded", "failed", "skipped"
#: A run recorded as running whose process is gone (killed): found by the next run or status.
ABANDONED = "abandoned"


def this_holder() -> str:
    """``<pid>@<host>`` of this process: who runs a run, recorded with it."""
    return f"{os.getpid()}@{socket.gethostname()}"


def holder_alive(holder: str | None) -> bool | None:
    """Whether the process ``<pid>@<host>`` lives; None when it ran on another host (or is
    unknown), since only this host's processes can be checked."""
    pid, _, host = (holder or "").partition("@")
    if not pid.isdigit() or host != socket.gethostname():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


@lru_cache(maxsize=1)
def code_version() -> str:
    """``ladder <version>+g<sha>[.dirty]``: the package version plus the git commit, if any."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = f"ladder {version('ladder')}"
    except PackageNotFoundError:
        base = "ladder unknown"
    repo = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "status",
                "--porcelain",
                "--",
                "data_pipeline",
                "training",
                "evaluation",
                "flows",
            ],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base}+g{sha}{'.dirty' if dirty else ''}"


@dataclass
class RunRecord:
    """One stage run as stored in the ``runs`` table."""

    run_id: str
    stage: str
    status: str = RUNNING
    flow_run_id: str | None = None
    config_json: str = "{}"
    config_hash: str = ""
    code_version: str = field(default_factory=code_version)
    cache_key: str = ""
    inputs: list[Ref] = field(default_factory=list)
    outputs: list[Ref] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    ended_at: dt.datetime | None = None
    duration_s: float | None = None
    error: str | None = None
    holder: str | None = field(default_factory=this_holder)

    def as_row(self) -> tuple:
        return (
            self.run_id,
            self.stage,
            self.status,
            self.flow_run_id,
            self.config_json,
            self.config_hash,
            self.code_version,
            self.cache_key,
            [(t.table, t.version) for t in self.inputs],
            [(t.table, t.version) for t in self.outputs],
            {k: int(v) for k, v in self.counts.items()},
            _naive_utc(self.started_at),
            _naive_utc(self.ended_at),
            self.duration_s,
            self.error,
            self.holder,
        )

    @classmethod
    def from_row(cls, row) -> RunRecord:
        return cls.from_dict(row.asDict())

    @classmethod
    def from_dict(cls, d: dict) -> RunRecord:
        d = dict(d)
        d.pop("recorded_at", None)
        for key in ("started_at", "ended_at"):
            d[key] = _naive_utc(d.get(key))
        d.setdefault("holder", None)  # tables written before holders were recorded
        d["inputs"] = [stored_ref(t["table"], t["version"]) for t in d["inputs"] or []]
        d["outputs"] = [stored_ref(t["table"], t["version"]) for t in d["outputs"] or []]
        d["counts"] = dict(d["counts"] or {})
        return cls(**d)

    @property
    def config(self) -> dict:
        return json.loads(self.config_json or "{}")


def _recorded(row) -> dt.datetime:
    """When a runs row was written (older tables lack ``recorded_at``: use its times)."""
    d = row if isinstance(row, dict) else row.asDict()
    when = d.get("recorded_at") or d.get("ended_at") or d.get("started_at")
    return _naive_utc(when) or dt.datetime.min


def runs_without_spark(root: str) -> list[RunRecord] | None:
    """Every run's latest state read from the ``runs`` table's Delta log, oldest first, without
    Spark (``delta_log``); None when that reader cannot (then use ``RunLog(...).all()``)."""
    from data_pipeline.lakehouse.delta_log import read_table

    path = f"{root.rstrip('/')}/{RUNS}"
    if "://" not in path and not os.path.isdir(os.path.join(path, "_delta_log")):
        return []  # no run recorded yet
    table = read_table(path)
    if table is None:
        return None
    latest: dict[tuple[str, str], dict] = {}
    for d in table.to_pylist():
        key = (d["run_id"], d["stage"])
        if key not in latest or _recorded(d) > _recorded(latest[key]):
            latest[key] = d
    return sorted((RunRecord.from_dict(d) for d in latest.values()), key=lambda r: r.started_at)


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


class RunLog:
    """Reads and writes the ``runs`` table of a lakehouse."""

    def __init__(self, lakehouse: Lakehouse):
        self.lakehouse = lakehouse
        self.spark = lakehouse.spark

    def record(self, record: RunRecord) -> None:
        """Append the current state of a stage run (blind appends never conflict).

        The table keeps every state a run went through (running, then succeeded or failed);
        readers see the latest row per (run_id, stage).
        """
        self.lakehouse.ensure_table(RUNS)
        fields = [f for f in schemas.RUNS.fields if f.name != "recorded_at"]
        df = self.spark.createDataFrame([record.as_row()], StructType(fields)).withColumn(
            "recorded_at", F.current_timestamp()
        )
        meta = json.dumps({"run_id": record.run_id, "stage": record.stage, "status": record.status})
        (
            df.write.format("delta")
            .mode("append")
            .option("mergeSchema", "true")
            .option("userMetadata", meta)
            .save(self.lakehouse.path(RUNS))
        )

    def _latest(self, keep: Callable[[dict], bool] | None = None) -> list[RunRecord]:
        """The latest recorded state of each (run_id, stage) whose row passes ``keep``.

        A local table is read from its Delta log without a Spark job (``delta_log``: tens of
        milliseconds against about a second); other tables with Spark.
        """
        if not self.lakehouse.exists(RUNS):
            return []
        table = delta_log.read_table(self.lakehouse.path(RUNS))
        rows = (
            table.to_pylist()
            if table is not None
            else [r.asDict(recursive=True) for r in self.lakehouse.read(RUNS).collect()]
        )
        latest: dict[tuple[str, str], dict] = {}
        for d in rows:
            if keep is not None and not keep(d):
                continue
            key = (d["run_id"], d["stage"])
            if key not in latest or _recorded(d) > _recorded(latest[key]):
                latest[key] = d
        return [RunRecord.from_dict(d) for d in latest.values()]

    def get(self, run_id: str, stage: str) -> RunRecord | None:
        found = self._latest(lambda d: d["run_id"] == run_id and d["stage"] == stage)
        return found[0] if found else None

    def of_stage(self, stage: str) -> list[RunRecord]:
        """Every run of ``stage`` (its latest state), in one read."""
        return self._latest(lambda d: d["stage"] == stage)

    def abandon(self, run: RunRecord, found_by: str) -> RunRecord:
        """Record that ``run`` (still ``running``) was killed: its process is gone."""
        run.status, run.ended_at = ABANDONED, dt.datetime.now(dt.UTC)
        run.error = (
            f"abandoned: its process ({run.holder or 'unknown'}) ended without recording a "
            f"result; found by {found_by}"
        )
        self.record(run)
        return run

    @staticmethod
    def find_cached(runs: list[RunRecord], cache_key: str) -> RunRecord | None:
        """The latest succeeded run among ``runs`` with ``cache_key``, if any."""
        found = [r for r in runs if r.status == SUCCEEDED and r.cache_key == cache_key]
        return max(found, key=lambda r: r.ended_at or r.started_at) if found else None

    def all(self) -> list[RunRecord]:
        """Every stage run (its latest state), oldest first."""
        return sorted(self._latest(), key=lambda r: r.started_at)

    def producer_of(self, table: str, version: int) -> RunRecord | None:
        """The succeeded run whose outputs include ``table@version``."""
        found = [
            r
            for r in self._latest(
                lambda d: any(
                    (o["table"], o["version"]) == (table, version) for o in d["outputs"] or []
                )
            )
            if r.status == SUCCEEDED
        ]
        return found[0] if found else None


@dataclass
class LineageNode:
    """A table version, the run that produced it, and the lineage of that run's inputs."""

    table_version: Ref
    run: RunRecord | None
    parents: list[LineageNode]
    contributing_runs: list[tuple[str, str]] = field(default_factory=list)
    location: str = ""


def lineage(
    lakehouse: Lakehouse, table: str, version: int | None = None, depth: int = 20
) -> LineageNode:
    """Walk from ``table@version`` (latest when None) back through the runs that made it."""
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry

    is_artifact = table.startswith(ARTIFACT_PREFIX)  # a name given by a user or a run
    if is_artifact:
        artifact = ArtifactRegistry(lakehouse).get(table.removeprefix(ARTIFACT_PREFIX), version)
        version, location = artifact.version, artifact.uri
    else:
        location = lakehouse.path(table)
        version = lakehouse.latest_version(table) if version is None else version
    if version is None:
        raise FileNotFoundError(f"table {table!r} does not exist under {lakehouse.root}")
    log = RunLog(lakehouse)
    run = log.producer_of(table, version)
    contributing: list[tuple[str, str]] = []
    if not is_artifact:
        df = lakehouse.read(table, version)
        if {"source", "run_id"} <= set(df.columns):
            contributing = sorted(
                (r["source"], r["run_id"])
                for r in df.select("source", "run_id").distinct().collect()
            )
    parents = []
    if run is not None and depth > 0:
        parents = [lineage(lakehouse, t.table, t.version, depth - 1) for t in run.inputs]
    return LineageNode(stored_ref(table, version), run, parents, contributing, location)


def format_lineage(node: LineageNode, indent: int = 0) -> str:
    """Render a lineage tree as indented text."""
    pad = "  " * indent
    lines = [f"{pad}{node.table_version}"]
    if node.location:
        lines.append(f"{pad}  at {node.location}")
    run = node.run
    if run is None:
        lines.append(f"{pad}  (no run recorded for this version)")
    else:
        lines.append(
            f"{pad}  made by run {run.run_id} stage {run.stage} [{run.status}] "
            f"at {run.started_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        lines.append(f"{pad}  code {run.code_version}  config {run.config_hash}")
        if run.counts:
            counts = ", ".join(f"{k}={v}" for k, v in sorted(run.counts.items()))
            lines.append(f"{pad}  counts: {counts}")
        lines.append(f"{pad}  config: {run.config_json}")
        outputs = ", ".join(str(t) for t in run.outputs)
        lines.append(f"{pad}  outputs of that run: {outputs}")
    if node.contributing_runs:
        rows = ", ".join(f"{src} <- {rid}" for src, rid in node.contributing_runs)
        lines.append(f"{pad}  rows by source <- run: {rows}")
    if run is not None and not run.inputs:
        lines.append(f"{pad}  inputs: files named in its config")
    for parent in node.parents:
        lines.append(f"{pad}  input:")
        lines.append(format_lineage(parent, indent + 2))
    return "\n".join(lines)
