"""A Spark driver that summarises a project's lakehouse and shard set as JSON (run as a script).

    python tests/cluster/digest.py PIPELINE.yaml OUT.json

Per table: the row count and a SHA-256 of its rows sorted, without the columns that name a run
or a location (run ids, times, file paths); the counts of the last run of each stage; the
shard set's streams with a hash of each stream's bytes; and every text the lakehouse records
about runs (config, commit metadata, manifests), for the credential check.
"""

from __future__ import annotations

import hashlib
import json
import sys

VOLATILE = {"run_id", "ingested_at", "created_at", "url_or_path", "file", "cluster_id"}
TABLES = (
    "ingested_docs",
    "quarantine",
    "filtered_docs",
    "rejects",
    "deduped_docs",
    "benchmark_items",
    "contamination_index",
    "decontaminated_docs",
    "heldout_docs",
    "token_counts",
)


def _rows_digest(df) -> tuple[int, str]:
    cols = sorted(c for c in df.columns if c not in VOLATILE)
    rows = sorted(
        json.dumps(r.asDict(recursive=True), sort_keys=True, default=str)
        for r in df.select(*cols).collect()
    )
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()


def main(config: str, out: str) -> None:
    from data_pipeline.lakehouse import storage
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry
    from data_pipeline.lakehouse.lineage import RunLog
    from data_pipeline.project import load_project
    from data_pipeline.runner import open_lakehouse
    from data_pipeline.tokenize.mds_sets import read_manifest

    project = load_project(config)
    lake = open_lakehouse(project)
    result: dict = {"tables": {}, "counts": {}, "streams": {}, "texts": []}
    for table in TABLES:
        if lake.exists(table):
            result["tables"][table] = _rows_digest(lake.read(table))
    runs = RunLog(lake).all()
    for run in sorted(runs, key=lambda r: r.started_at):
        if run.status == "succeeded":
            result["counts"][run.stage] = run.counts
        result["texts"].append(run.config_json or "")
    for artifact in ArtifactRegistry(lake).all():
        result["texts"].append(json.dumps(artifact.manifest))
        result["texts"].append(artifact.uri)
        if artifact.kind == "mds":
            manifest = read_manifest(artifact.uri)
            for stream in manifest["streams"]:
                folder = storage.join(artifact.uri, stream)
                result["streams"][stream] = {
                    "bytes_sha256": storage.hash_tree(folder),
                    "shards": manifest["streams"][stream]["shards"],
                }
            result["shard_root"] = artifact.uri
    for table in (*TABLES, "runs", "artifacts"):
        if lake.exists(table):
            latest = lake.latest_version(table)
            for version in range(latest + 1):
                result["texts"].append(json.dumps(lake.commit_metadata(table, version)))
    with open(out, "w") as f:
        json.dump(result, f, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
