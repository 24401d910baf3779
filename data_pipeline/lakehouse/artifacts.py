"""Versioned artifacts that are not Delta tables: MDS shard sets, models, checkpoints, reports.

Each registration appends a row to the ``artifacts`` Delta table: name, version (1, 2, ... per
name), kind, location, content hash and a JSON manifest, plus the run that made it. A run lists
it among its outputs as ``artifact:<name>@<version>``, so lineage walks through artifacts and
tables alike.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from data_pipeline.lakehouse import delta_log, storage
from data_pipeline.lakehouse.names import ARTIFACT_PREFIX, check_artifact_name
from data_pipeline.lakehouse.tables import ArtifactRef, Lakehouse, TableVersion

ARTIFACTS = "artifacts"
PREFIX = ARTIFACT_PREFIX  # ``artifact:``, as references to artifacts start

SCHEMA = StructType(
    [
        StructField("name", StringType(), False),
        StructField("version", LongType(), False),
        StructField("kind", StringType(), False),
        StructField("uri", StringType(), False),
        StructField("content_hash", StringType(), True),
        StructField("manifest_json", StringType(), True),
        StructField("run_id", StringType(), True),
        StructField("stage", StringType(), True),
        StructField("created_at", TimestampType(), False),
    ]
)


@dataclass(frozen=True)
class Artifact:
    """One registered artifact version."""

    name: str
    version: int
    kind: str
    uri: str
    content_hash: str | None
    manifest: dict[str, Any]
    run_id: str | None
    stage: str | None

    @property
    def ref(self) -> ArtifactRef:
        """How runs list this artifact among their inputs and outputs."""
        return ArtifactRef(self.name, self.version)


def hash_path(path: str | Path) -> str:
    """SHA-256 of a file, or of a folder's files (relative names and contents, sorted); local
    paths and URIs alike (``storage.hash_tree``)."""
    return storage.hash_tree(str(path))


class ArtifactRegistry:
    """Reads and appends the ``artifacts`` table of a lakehouse."""

    def __init__(self, lakehouse: Lakehouse):
        self.lakehouse = lakehouse
        self.spark = lakehouse.spark

    def _ensure(self) -> None:
        if not self.lakehouse.exists(ARTIFACTS):
            from delta.tables import DeltaTable

            DeltaTable.createIfNotExists(self.spark).location(
                self.lakehouse.path(ARTIFACTS)
            ).addColumns(SCHEMA).execute()

    def register(
        self,
        name: str,
        kind: str,
        uri: str,
        manifest: dict[str, Any] | None = None,
        run_id: str | None = None,
        stage: str | None = None,
        content_hash: str | None = None,
    ) -> Artifact:
        """Append a new version of ``name``. An identical (name, run, stage, hash) is reused."""
        check_artifact_name(name)
        self._ensure()
        if content_hash is None and storage.exists(uri):
            content_hash = hash_path(uri)
        known = self.versions(name)
        for existing in known:
            if (existing.run_id, existing.stage, existing.content_hash) == (
                run_id,
                stage,
                content_hash,
            ) and run_id is not None:
                return existing
        version = 1 + max((a.version for a in known), default=0)
        manifest_json = json.dumps(manifest or {}, sort_keys=True, default=str)
        row = (
            name,
            version,
            kind,
            uri,
            content_hash,
            manifest_json,
            run_id,
            stage,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
        df = self.spark.createDataFrame([row], SCHEMA)
        meta = json.dumps({"run_id": run_id, "stage": stage, "artifact": f"{name}@{version}"})
        (
            df.write.format("delta")
            .mode("append")
            .option("userMetadata", meta)
            .save(self.lakehouse.path(ARTIFACTS))
        )
        return _from_row(dict(zip(SCHEMA.names, row, strict=True)))

    def versions(self, name: str) -> list[Artifact]:
        return [a for a in self.all() if a.name == name]

    def get(self, name: str, version: int | None = None) -> Artifact:
        """A version of ``name`` (the latest when None)."""
        versions = self.versions(name)
        if not versions:
            raise FileNotFoundError(f"no artifact named {name!r} in {self.lakehouse.root}")
        if version is None:
            return versions[-1]
        for artifact in versions:
            if artifact.version == version:
                return artifact
        raise FileNotFoundError(
            f"artifact {name!r} has no version {version}; versions: {[a.version for a in versions]}"
        )

    def all(self) -> list[Artifact]:
        """Every version of every artifact, by name and version.

        A local table is read from its Delta log without a Spark job (``delta_log``).
        """
        if not self.lakehouse.exists(ARTIFACTS):
            return []
        table = delta_log.read_table(self.lakehouse.path(ARTIFACTS))
        rows = (
            table.to_pylist()
            if table is not None
            else [r.asDict() for r in self.lakehouse.read(ARTIFACTS).collect()]
        )
        return sorted(map(_from_row, rows), key=lambda a: (a.name, a.version))


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``name@version`` or ``name`` (with or without the ``artifact:`` prefix)."""
    name, version = TableVersion.parse(ref.removeprefix(PREFIX))
    return name, version


def _from_row(row) -> Artifact:
    return Artifact(
        row["name"],
        int(row["version"]),
        row["kind"],
        row["uri"],
        row["content_hash"],
        json.loads(row["manifest_json"] or "{}"),
        row["run_id"],
        row["stage"],
    )
