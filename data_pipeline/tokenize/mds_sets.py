"""Shard sets: where the tokenize stage's MDS output lives, merged indexes and the manifest.

Layout under the project's artifacts root::

    mds/<name>/LATEST                     name of the newest committed version folder
    mds/<name>/v<run_id>/manifest.json    streams, shard hashes, token counts, tokenizer, input
    mds/<name>/v<run_id>/<stream>/index.json            merged index (one per stream)
    mds/<name>/v<run_id>/<stream>/part-00000/shard.00000.mds.zstd ...   written by Spark tasks
    mds/<name>/v<run_id>/<stream>/part-tail/...          the groups' tails packed together

``<artifacts>`` may be a local folder or a URI (``s3://bucket/prefix``): ``<stream>/`` is what
``streaming.Stream(local=...)`` or ``Stream(remote=..., local=cache)`` and llm-foundry's text
loaders read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.names import check_name, within

MANIFEST = "manifest.json"
LATEST = "LATEST"
INDEX = "index.json"


def set_root(artifacts_root: str | Path, name: str) -> str:
    """``<artifacts>/mds/<name>``: a local folder or a URI prefix (``name``: a plain name)."""
    name = check_name(name, "shard set name")
    return storage.join(storage.absolute(str(artifacts_root)), "mds", name)


def version_dir(root: str | Path, run_id: str) -> str:
    """``<root>/v<run_id>``; a run id that could leave ``root`` is refused."""
    out = storage.join(str(root), f"v{check_name(run_id, 'run id')}")
    if not storage.is_remote(out):
        within(storage.local_path(str(root)), storage.local_path(out), "shard version folder")
    return out


def merge_stream(stream_dir: str | Path) -> list[dict]:
    """Merge the part indexes of a stream (in part order) into ``<stream>/index.json``.

    The merged index is what ``streaming.base.util.merge_index`` writes (shard basenames
    prefixed with their part folder), built from the part indexes through the storage layer, so
    a stream on an object store merges without a local copy. Returns one entry per shard:
    basename, samples, bytes stored and its hashes.
    """
    stream_dir = str(stream_dir)
    parts = sorted(f.path for f in storage.list_files(storage.join(stream_dir, "part-*", INDEX)))
    shards: list[dict] = []
    for part in parts:
        folder = storage.basename(storage.parent(part))
        for shard in json.loads(storage.read_text(part))["shards"]:
            for key in ("raw_data", "zip_data", "raw_meta", "zip_meta"):
                if shard.get(key):
                    shard[key]["basename"] = f"{folder}/{shard[key]['basename']}"
            shards.append(shard)
    storage.write_text(
        storage.join(stream_dir, INDEX), json.dumps({"version": 2, "shards": shards})
    )
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


def write_manifest(folder: str | Path, manifest: dict) -> str:
    path = storage.join(str(folder), MANIFEST)
    storage.write_text(path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return path


def mark_latest(root: str | Path, folder: str | Path) -> None:
    """Point ``LATEST`` at ``folder`` (an atomic replace, or one object PUT)."""
    storage.replace_text(storage.join(str(root), LATEST), storage.basename(str(folder)) + "\n")


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a version folder, or of the ``LATEST`` version of a shard-set root."""
    folder = str(folder)
    manifest = storage.join(folder, MANIFEST)
    latest = storage.join(folder, LATEST)
    if not storage.is_file(manifest) and storage.is_file(latest):
        manifest = storage.join(folder, storage.read_text(latest).strip(), MANIFEST)
    return json.loads(storage.read_text(manifest))


def fresh_version_dir(root: str | Path, run_id: str) -> tuple[str, list[str]]:
    """The run's version folder, emptied, and the leftovers of killed runs that were removed
    (local roots): version folders without a manifest (a run killed while writing shards) and
    ``LATEST`` staging files. Call it under the stage's lock: no other run writes here."""
    out = version_dir(root, run_id)
    storage.remove_tree(out)  # a failed earlier attempt of this run
    removed: list[str] = []
    local = storage.local_path(str(root))
    if not storage.is_remote(str(root)) and os.path.isdir(local):
        for name in sorted(os.listdir(local)):
            path = os.path.join(local, name)
            if os.path.isdir(path) and name.startswith("v"):
                if not os.path.exists(os.path.join(path, MANIFEST)):
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
            elif name.startswith(f".{LATEST}."):
                os.remove(path)
                removed.append(path)
    storage.makedirs(out)
    return out, removed
