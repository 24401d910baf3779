"""Read a small local Delta table without Spark, by replaying its log (for ``ladder status``).

Starting Spark costs seconds; the ``runs`` table is a few appended Parquet files. This reader
takes the newest checkpoint named by ``_last_checkpoint`` (classic single- or multi-part) and
the JSON commits after it, and reads the files left. Anything it does not handle (object
stores, partitioned tables, column mapping, deletion vectors, v2 checkpoints) returns None, and
the caller reads with Spark as before.
"""

from __future__ import annotations

import json
import os
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq

LOG = "_delta_log"


def _commit_versions(log_dir: str) -> list[int]:
    return sorted(
        int(name[:20])
        for name in os.listdir(log_dir)
        if name.endswith(".json") and name[:20].isdigit()
    )


def _checkpoint(log_dir: str) -> tuple[int, list[str]] | None:
    """(version, parquet files) of the last classic checkpoint, or (-1, []) when none; None
    when the checkpoint is of a kind this reader does not handle."""
    path = os.path.join(log_dir, "_last_checkpoint")
    if not os.path.isfile(path):
        return -1, []
    info = json.loads(open(path, encoding="utf-8").read())  # noqa: SIM115 - tiny file
    version, parts = int(info["version"]), info.get("parts")
    if parts:
        names = [
            f"{version:020d}.checkpoint.{i:010d}.{parts:010d}.parquet" for i in range(1, parts + 1)
        ]
    else:
        names = [f"{version:020d}.checkpoint.parquet"]
    files = [os.path.join(log_dir, n) for n in names]
    return (version, files) if all(os.path.isfile(f) for f in files) else None


def active_files(table_dir: str) -> list[str] | None:
    """The data files of the table's newest version, or None when unsupported here."""
    if "://" in table_dir and not table_dir.startswith("file:"):
        return None
    table_dir = table_dir.removeprefix("file://").removeprefix("file:")
    log_dir = os.path.join(table_dir, LOG)
    if not os.path.isdir(log_dir):
        return None
    checkpoint = _checkpoint(log_dir)
    if checkpoint is None:
        return None
    version, parts = checkpoint
    live: dict[str, None] = {}
    for part in parts:
        table = pq.read_table(part, columns=["add", "metaData"])
        for add in table.column("add").to_pylist():
            if add is not None:
                if add.get("deletionVector"):
                    return None
                live[add["path"]] = None
        for meta in table.column("metaData").to_pylist():
            if meta is not None and not _plain(meta):
                return None
    for commit in (v for v in _commit_versions(log_dir) if v > version):
        with open(os.path.join(log_dir, f"{commit:020d}.json"), encoding="utf-8") as f:
            for line in f:
                action = json.loads(line) if line.strip() else {}
                if "add" in action:
                    if action["add"].get("deletionVector"):
                        return None
                    live[action["add"]["path"]] = None
                elif "remove" in action:
                    live.pop(action["remove"]["path"], None)
                elif "metaData" in action and not _plain(action["metaData"]):
                    return None
    return [os.path.join(table_dir, unquote(p)) for p in live]


def _plain(meta: dict) -> bool:
    """No partition columns and no column mapping: file columns are the table's columns."""
    config = meta.get("configuration") or {}
    if isinstance(config, list):  # a map read from a checkpoint: (key, value) pairs
        config = dict(config)
    return (
        not meta.get("partitionColumns")
        and config.get("delta.columnMapping.mode", "none") == "none"
    )


def read_table(table_dir: str) -> pa.Table | None:
    """The newest version of a local, unpartitioned Delta table as Arrow, or None."""
    files = active_files(table_dir)
    if files is None or not all(os.path.isfile(f) for f in files):
        return None
    if not files:
        return None
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
    # Spark's INT96 timestamps read as nanoseconds, whose Python values are pandas Timestamps;
    # microseconds (Spark's precision) give datetime objects, as a Spark read does.
    schema = pa.schema(
        [
            f.with_type(pa.timestamp("us", f.type.tz))
            if pa.types.is_timestamp(f.type) and f.type.unit == "ns"
            else f
            for f in table.schema
        ]
    )
    return table.cast(schema, safe=False)
