"""What is in the lakehouse now: each table's latest version and maker, each stage's last run."""

from __future__ import annotations

import os
from dataclasses import dataclass

from data_pipeline.lakehouse.lineage import RUNNING, RunLog, RunRecord, holder_alive
from data_pipeline.lakehouse.locks import LockTimeout, exclusive, is_locking
from data_pipeline.lakehouse.tables import Lakehouse


@dataclass
class TableStatus:
    """A table, its latest version, and the run that made that version (if recorded)."""

    table: str
    version: int
    made_by: RunRecord | None
    inputs: list[str]


@dataclass
class Status:
    tables: list[TableStatus]
    last_runs: list[RunRecord]


def table_names(lakehouse: Lakehouse) -> list[str]:
    """Delta tables directly under a local lakehouse root (object stores: the runs' outputs)."""
    if "://" not in lakehouse.root and os.path.isdir(lakehouse.root):
        return sorted(
            name
            for name in os.listdir(lakehouse.root)
            if os.path.isdir(os.path.join(lakehouse.root, name, "_delta_log"))
        )
    runs = RunLog(lakehouse).all()
    return sorted({t.table for r in runs for t in r.outputs if ":" not in t.table})


def _dead(root: str, run: RunRecord) -> bool:
    """A ``running`` run whose process is gone: its holder (this host) no longer exists, or,
    for a data stage on a locking file system, nobody holds the stage's lock."""
    alive = holder_alive(run.holder)
    if alive is not None:
        return not alive
    from data_pipeline.stages import STAGES

    if run.stage not in STAGES or not is_locking(root):
        return False
    try:
        with exclusive(root, f"stage-{run.stage}", "ladder status", timeout_s=0):
            return True
    except LockTimeout:
        return False


def abandon_dead_runs(lakehouse: Lakehouse, runs: list[RunRecord]) -> list[RunRecord]:
    """Mark the dead ``running`` runs among ``runs`` as abandoned; returns those marked."""
    log = RunLog(lakehouse)
    return [
        log.abandon(run, "ladder status")
        for run in runs
        if run.status == RUNNING and _dead(lakehouse.root, run)
    ]


def collect_status(lakehouse: Lakehouse) -> Status:
    """Latest version of every table and the latest run (any state) of every stage; runs
    left ``running`` by a killed process are marked ``abandoned`` on the way."""
    log = RunLog(lakehouse)
    runs = log.all()
    abandon_dead_runs(lakehouse, runs)  # updates the records in place
    versions = {name: lakehouse.latest_version(name) for name in table_names(lakehouse)}
    return _status(versions, runs)


def quick_status(root: str) -> Status | None:
    """``collect_status`` of a local lakehouse read without Spark (``delta_log``); None when
    that is not possible or a killed run must be marked (a write: use ``collect_status``)."""
    from data_pipeline.lakehouse.delta_log import _commit_versions
    from data_pipeline.lakehouse.lineage import runs_without_spark

    if "://" in root:
        return None
    if not os.path.isdir(root):
        return Status([], [])  # nothing made yet
    runs = runs_without_spark(root)
    if runs is None or any(r.status == RUNNING and _dead(root, r) for r in runs):
        return None
    versions = {}
    for name in sorted(os.listdir(root)):
        log_dir = os.path.join(root, name, "_delta_log")
        if os.path.isdir(log_dir):
            versions[name] = max(_commit_versions(log_dir), default=None)
    return _status(versions, runs)


def _status(versions: dict[str, int | None], runs: list[RunRecord]) -> Status:
    tables = []
    for name, version in versions.items():
        if version is None:
            continue
        maker = next(
            (
                r
                for r in reversed(runs)
                if r.status == "succeeded"
                and any(t.table == name and t.version == version for t in r.outputs)
            ),
            None,
        )
        tables.append(
            TableStatus(name, version, maker, [str(t) for t in maker.inputs] if maker else [])
        )
    last: dict[str, RunRecord] = {}
    for run in runs:
        last[run.stage] = run
    return Status(tables, sorted(last.values(), key=lambda r: r.started_at))


def format_status(status: Status, markdown: bool = False) -> str:
    """The status as aligned text, or as a markdown document (for a Prefect artifact)."""
    table_rows = [
        (
            t.table,
            str(t.version),
            t.made_by.run_id if t.made_by else "-",
            t.made_by.stage if t.made_by else "-",
            ", ".join(t.inputs) or "-",
        )
        for t in status.tables
    ]
    run_rows = [
        (
            r.stage,
            r.status,
            r.run_id,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            f"{r.duration_s:.1f}" if r.duration_s is not None else "-",
            (r.error or "")[:80],
        )
        for r in status.last_runs
    ]
    table_head = ("table", "version", "made by run", "stage", "inputs")
    run_head = ("stage", "last state", "run", "started (UTC)", "seconds", "note")
    if markdown:
        return "\n".join(
            [
                "## Tables",
                _md(table_head, table_rows),
                "",
                "## Last run per stage",
                _md(run_head, run_rows),
            ]
        )
    return "\n".join(
        [
            "Tables",
            _text(table_head, table_rows),
            "",
            "Last run per stage",
            _text(run_head, run_rows),
        ]
    )


def _md(head: tuple, rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _text(head: tuple, rows: list[tuple]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(["  " + fmt.format(*head)] + ["  " + fmt.format(*r) for r in rows])
