"""Shard sets: where the tokenize stage's MDS output lives, merged indexes and the manifest.

Layout under the project's artifacts root::

    mds/<name>/LATEST                     name of the newest committed version folder
    mds/<name>/v<run_id>/manifest.json    streams, shard hashes, token counts, tokenizer, input
    mds/<name>/v<run_id>/<stream>/index.json            merged index (one per stream)
    mds/<name>/v<run_id>/<stream>/part-00000/shard.00000.mds.zstd ...   written by Spark tasks
    mds/<name>/v<run_id>/<stream>/part-tail/...          the groups' tails packed together

``<stream>/`` is what ``streaming.Stream(local=...)`` and llm-foundry's text loaders read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

from data_pipeline.names import check_name, within

MANIFEST = "manifest.json"
LATEST = "LATEST"
INDEX = "index.json"


def set_root(artifacts_root: str | Path, name: str) -> Path:
    base = Path(artifacts_root).resolve() / "mds"
    return within(base, base / check_name(name, "shard set name"), "shard set folder")


def version_dir(root: Path, run_id: str) -> Path:
    """``<root>/v<run_id>``; refused unless it stays under ``root``."""
    return within(root, root / f"v{check_name(run_id, 'run id')}", "shard version folder")


def merge_stream(stream_dir: Path) -> list[dict]:
    """Merge the part indexes of a stream (in part order) into ``<stream>/index.json``.

    Returns one entry per shard: basename, samples, bytes on disk and its hashes.
    """
    from streaming.base.util import merge_index

    parts = sorted(str(p) for p in stream_dir.glob(f"part-*/{INDEX}"))
    merged = stream_dir / INDEX
    merged.unlink(missing_ok=True)
    if parts:
        quiet = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # merge_index warns about its temp folder
        try:
            merge_index(parts, str(stream_dir))
        finally:
            logging.getLogger().setLevel(quiet)
    else:
        merged.write_text(json.dumps({"version": 2, "shards": []}))
    shards = json.loads(merged.read_text())["shards"]
    out = []
    for shard in shards:
        stored = shard.get("zip_data") or shard["raw_data"]
        out.append(
            {
                "basename": stored["basename"],
                "samples": int(shard["samples"]),
                "bytes": int(stored["bytes"]),
                "hashes": dict(sorted(stored.get("hashes", {}).items())),
            }
        )
    return out


def content_hash(manifest: dict) -> str:
    """SHA-256 over every stream's shard names and hashes: equal sets, equal hash."""
    digest = hashlib.sha256()
    for stream in sorted(manifest["streams"]):
        for shard in manifest["streams"][stream]["shards"]:
            digest.update(json.dumps([stream, shard], sort_keys=True).encode())
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: dict) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return path


def mark_latest(root: Path, folder: Path) -> None:
    """Point ``LATEST`` at ``folder`` (atomic rename)."""
    staging = root / f".{LATEST}.{os.getpid()}"
    staging.write_text(folder.name + "\n")
    os.replace(staging, root / LATEST)


def read_manifest(folder: str | Path) -> dict:
    folder = Path(folder)
    if not (folder / MANIFEST).is_file() and (folder / LATEST).is_file():
        folder = folder / (folder / LATEST).read_text().strip()
    return json.loads((folder / MANIFEST).read_text())


def fresh_version_dir(root: Path, run_id: str) -> tuple[Path, list[Path]]:
    """The run's version folder, emptied, and the leftovers of killed runs that were removed:
    version folders without a manifest (a run killed while writing shards) and ``LATEST``
    staging files. Call it under the stage's lock: no other run writes here meanwhile."""
    out = version_dir(root, run_id)
    removed = []
    if root.is_dir():
        for path in sorted(root.iterdir()):
            partial = path.is_dir() and path.name.startswith("v") and not (path / MANIFEST).exists()
            if path == out or partial:
                shutil.rmtree(path, ignore_errors=True)
                removed += [path] if path != out else []
            elif path.name.startswith(f".{LATEST}."):
                path.unlink(missing_ok=True)
                removed.append(path)
    out.mkdir(parents=True)
    return out, removed
