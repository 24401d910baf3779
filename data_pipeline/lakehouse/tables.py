"""The lakehouse: one Delta table per stage output under a root folder or URI.

Writes are atomic (a Delta commit) and idempotent: each write carries ``txnAppId`` =
``<run_id>/<stage>``, so replaying a run never commits twice, and ``userMetadata`` naming the
run, its stage, config hash, code version and input versions.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from data_pipeline.lakehouse import schemas
from data_pipeline.lakehouse.names import ARTIFACT_PREFIX, check_name
from data_pipeline.lakehouse.project import ProjectConfig

QUARANTINE = "quarantine"
REJECTS = "rejects"
RUNS = "runs"
COMMIT_FILE = re.compile(r"^(\d{20})\.json$")

SHARED_TABLES: dict[str, tuple[StructType, tuple[str, ...]]] = {
    QUARANTINE: (schemas.QUARANTINE, ("stage",)),
    REJECTS: (schemas.REJECTS, ("stage",)),
    RUNS: (schemas.RUNS, ()),
}


@dataclass(frozen=True)
class TableVersion:
    """A table name and one of its Delta versions."""

    table: str
    version: int

    def __str__(self) -> str:
        return f"{self.table}@{self.version}"

    @classmethod
    def parse(cls, ref: str) -> tuple[str, int | None]:
        """Parse ``name`` or ``name@version`` into (name, version or None)."""
        name, _, version = ref.partition("@")
        if version and not version.isdigit():
            raise ValueError(f"bad table reference {ref!r}: the version after '@' must be a number")
        return name, int(version) if version else None


@dataclass(frozen=True)
class ArtifactRef:
    """One version of a registered artifact, as runs list it among their inputs and outputs."""

    name: str
    version: int

    @property
    def table(self) -> str:
        """The name the ``runs`` table stores for it: ``artifact:<name>``."""
        return ARTIFACT_PREFIX + self.name

    def __str__(self) -> str:
        return f"{self.table}@{self.version}"


#: What a run reads or makes: a Delta table version or an artifact version.
Ref = TableVersion | ArtifactRef


def stored_ref(table: str, version: int) -> Ref:
    """A ref from its stored form (``artifact:<name>`` names an artifact, else a table)."""
    if table.startswith(ARTIFACT_PREFIX):
        return ArtifactRef(table.removeprefix(ARTIFACT_PREFIX), version)
    return TableVersion(table, version)


@dataclass(frozen=True)
class CommitInfo:
    """What every commit of a stage run records in Delta ``userMetadata``."""

    run_id: str
    stage: str
    config_hash: str
    code_version: str
    inputs: tuple[Ref, ...] = ()

    @property
    def txn_app_id(self) -> str:
        return f"{self.run_id}/{self.stage}"

    def user_metadata(self) -> str:
        return json.dumps(
            {
                "run_id": self.run_id,
                "stage": self.stage,
                "config_hash": self.config_hash,
                "code_version": self.code_version,
                "inputs": [str(t) for t in self.inputs],
            },
            sort_keys=True,
        )


@dataclass
class TableWrite:
    """One table written by a stage.

    ``replace_where`` replaces only the matching rows (e.g. the sources this run processed);
    ``mode='overwrite'`` without it replaces the whole table; ``append`` adds rows.
    """

    table: str
    df: DataFrame
    mode: Literal["overwrite", "append"] = "overwrite"
    replace_where: str | None = None
    partition_by: Sequence[str] = field(default_factory=tuple)
    schema: StructType | None = None


class Lakehouse:
    """Delta tables under ``root`` (a local folder or any Spark-writable URI)."""

    def __init__(self, root: str, spark: SparkSession):
        self.root = root.rstrip("/")
        if "://" not in self.root:
            self.root = os.path.abspath(self.root)
        self.spark = spark

    def path(self, table: str) -> str:
        """Where ``table`` lives; a name that could leave the root is refused."""
        return f"{self.root}/{check_name(table, 'table name')}"

    def exists(self, table: str) -> bool:
        return DeltaTable.isDeltaTable(self.spark, self.path(table))

    @property
    def _jvm(self) -> Any:
        """The session's JVM gateway (absent only from a Spark Connect session)."""
        jvm = self.spark._jvm
        if jvm is None:
            raise RuntimeError("the lakehouse needs a classic Spark session (with a JVM)")
        return jvm

    def _log(self, table: str):
        """The table's ``_delta_log`` folder as a Hadoop path, and its file system."""
        path = self._jvm.org.apache.hadoop.fs.Path(f"{self.path(table)}/_delta_log")
        return path, path.getFileSystem(self.spark._jsc.hadoopConfiguration())

    def latest_version(self, table: str) -> int | None:
        """The newest version, from the names of the log's commit files (no Spark job)."""
        log_dir, fs = self._log(table)
        if not fs.exists(log_dir):
            return None
        names = (status.getPath().getName() for status in fs.listStatus(log_dir))
        versions = [int(m.group(1)) for name in names if (m := COMMIT_FILE.match(name))]
        return max(versions) if versions else None

    def commit_actions(self, table: str, version: int) -> list[dict]:
        """The actions of one commit, as written in its ``_delta_log`` JSON file (no Spark job)."""
        log_dir, fs = self._log(table)
        jvm = self._jvm
        stream = fs.open(jvm.org.apache.hadoop.fs.Path(log_dir, f"{version:020d}.json"))
        try:
            text = jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
        finally:
            stream.close()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def commit_metadata(self, table: str, version: int) -> dict:
        """The ``userMetadata`` of one commit, parsed (``{}`` if it has none or is not JSON)."""
        for action in self.commit_actions(table, version):
            if "commitInfo" in action:
                try:
                    meta = json.loads(action["commitInfo"].get("userMetadata") or "{}")
                except json.JSONDecodeError:
                    return {}
                return meta if isinstance(meta, dict) else {}
        return {}

    def added_rows(
        self, written: TableVersion, run_id: str | None, by: str | None = None
    ) -> dict[str, int] | None:
        """Rows of ``run_id`` (or, with None, all rows) that one commit added, from the
        statistics Delta keeps in its log (no Spark job): in all (key ``""``) or per value of
        the partition column ``by``.

        A file counts when its ``run_id`` column holds only ``run_id`` (minimum = maximum); a
        file rewritten to keep other runs' rows (a ``replaceWhere`` on a data column) does not.
        None when the statistics cannot tell (turned off, an id longer than the 32 characters
        Delta keeps of a string, or ``by`` is not a partition column): then count with Spark.
        """
        if run_id is not None and len(run_id) > 32:
            return None
        rows: dict[str, int] = {}
        for action in self.commit_actions(written.table, written.version):
            add = action.get("add")
            if add is None:
                continue
            stats = json.loads(add.get("stats") or "{}")
            if "numRecords" not in stats:
                return None
            if run_id is not None and stats["numRecords"]:
                low = (stats.get("minValues") or {}).get("run_id")
                high = (stats.get("maxValues") or {}).get("run_id")
                if low is None:
                    return None
                if not low == high == run_id:
                    continue
            partitions = add.get("partitionValues") or {}
            if by and by not in partitions:
                return None
            key = partitions[by] if by else ""
            rows[key] = rows.get(key, 0) + int(stats["numRecords"])
        return rows

    def read(self, table: str, version: int | None = None) -> DataFrame:
        if not self.exists(table):
            raise FileNotFoundError(f"table {table!r} does not exist under {self.root}")
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(self.path(table))

    def history(self, table: str, limit: int | None = None) -> list[dict]:
        """Delta history rows (newest first) as dicts with version, timestamp and metadata."""
        hist = DeltaTable.forPath(self.spark, self.path(table)).history(limit)
        rows = hist.select(
            "version", "timestamp", "operation", "userMetadata", "operationMetrics"
        ).collect()
        return [row.asDict() for row in rows]

    def ensure_table(self, table: str) -> None:
        """Create a shared table (quarantine, rejects, runs) with its schema if it is missing."""
        schema, partitions = SHARED_TABLES[table]
        if self.exists(table):
            return
        builder = DeltaTable.createIfNotExists(self.spark).location(self.path(table))
        builder = builder.addColumns(schema)
        if partitions:
            builder = builder.partitionedBy(*partitions)
        builder.execute()

    def write(self, spec: TableWrite, commit: CommitInfo) -> TableVersion:
        """Commit ``spec`` atomically; a replay of the same run and stage commits nothing."""
        schema = spec.schema or SHARED_TABLES.get(spec.table, (None,))[0]
        if spec.table in SHARED_TABLES:
            self.ensure_table(spec.table)
        df = conform(spec.df, schema) if schema is not None else spec.df
        df = _fault_injection_delay(df, spec.table)
        writer = (
            df.write.format("delta")
            .mode(spec.mode)
            .option("userMetadata", commit.user_metadata())
            .option("txnAppId", commit.txn_app_id)
            .option("txnVersion", 1)
        )
        if spec.replace_where:
            writer = writer.option("replaceWhere", spec.replace_where)
        from data_pipeline.lakehouse.locks import exclusive

        timeout = float(os.environ.get("LADDER_LOCK_TIMEOUT_S", "3600"))
        with exclusive(self.root, f"table-{spec.table}", commit.txn_app_id, timeout):
            self.remove_empty_files(spec.table)
            if spec.partition_by and not self.exists(spec.table):
                writer = writer.partitionBy(*spec.partition_by)
            writer.save(self.path(spec.table))
            return TableVersion(spec.table, self.version_written_by(spec.table, commit))

    def write_all(self, writes: Sequence[TableWrite], commit: CommitInfo) -> list[TableVersion]:
        """Commit several tables at once, one thread each (a commit of a small table is mostly
        driver-side Delta work, so they overlap); the versions in the order of ``writes``.

        Every write is waited for; the first error is then raised (the others' commits stand,
        as they would have one after another).
        """
        if len(writes) <= 1:
            return [self.write(w, commit) for w in writes]
        with ThreadPoolExecutor(len(writes), thread_name_prefix="commit") as pool:
            futures = [pool.submit(self.write, w, commit) for w in writes]
            wait(futures)
        for future in futures:
            if future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        return [future.result() for future in futures]

    def remove_empty_files(self, table: str) -> list[str]:
        """Delete 0-byte Parquet files of a local table: left by a writer killed mid-write and
        never part of a version (a valid Parquet file is never empty). Call under the table's
        lock, so that no live writer's file is taken."""
        if "://" in self.root or not os.path.isdir(self.path(table)):
            return []
        removed = []
        for folder, _, files in os.walk(self.path(table)):
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith(".parquet") and os.path.getsize(path) == 0:
                    os.remove(path)
                    removed.append(path)
        return removed

    def version_written_by(self, table: str, commit: CommitInfo) -> int:
        """The version that ``commit``'s run and stage wrote to ``table``.

        Usually the latest commit; after a replayed (skipped) write, an earlier one.
        """
        latest = self.latest_version(table)
        meta = self.commit_metadata(table, latest) if latest is not None else {}
        if latest is not None and (meta.get("run_id"), meta.get("stage")) == (
            commit.run_id,
            commit.stage,
        ):
            return latest
        marker = f'"run_id": "{commit.run_id}"'
        stage = f'"stage": "{commit.stage}"'
        row = (
            DeltaTable.forPath(self.spark, self.path(table))
            .history()
            .filter(F.col("userMetadata").contains(marker))
            .filter(F.col("userMetadata").contains(stage))
            .agg(F.max("version"))
            .first()
        )
        if row is None or row[0] is None:
            raise RuntimeError(f"no commit of run {commit.txn_app_id} found in {table}")
        return int(row[0])


def conform(df: DataFrame, schema: StructType) -> DataFrame:
    """Select and cast ``df``'s columns to ``schema``; a missing column is a clear error."""
    missing = [f.name for f in schema.fields if f.name not in df.columns]
    if missing:
        raise ValueError(f"DataFrame lacks columns {missing} required by the table schema")
    return df.select([F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields])


def open_lakehouse(project: ProjectConfig) -> Lakehouse:
    """The project's lakehouse, on a Spark session made from its settings (starts Spark)."""
    from data_pipeline.lakehouse.spark import get_spark

    return Lakehouse(project.lakehouse, get_spark(project.spark))


def first_value(df: DataFrame) -> Any:
    """The first column of ``df``'s first row (one Spark job); None when it has no rows."""
    row = df.first()
    return None if row is None else row[0]


def _fault_injection_delay(df: DataFrame, table: str) -> DataFrame:
    """Test hook for crash tests; inert unless ``LADDER_FAULT_WRITE_DELAY_S`` is set.

    While writing ``LADDER_FAULT_WRITE_TABLE`` (every table when unset), partition 0 is written
    at once and every other partition waits the given seconds first, so a test can kill the
    driver while a write is half done: data files on disk, no commit.
    """
    delay = float(os.environ.get("LADDER_FAULT_WRITE_DELAY_S", "0") or 0)
    only = os.environ.get("LADDER_FAULT_WRITE_TABLE")
    if delay <= 0 or (only and only != table):
        return df

    def slow(batches):
        from pyspark import TaskContext

        if TaskContext.get().partitionId() > 0:
            time.sleep(delay)
        yield from batches

    return df.mapInArrow(slow, df.schema)
