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
from pathlib import Path

from data_pipeline import storage

MANIFEST = "manifest.json"
LATEST = "LATEST"
INDEX = "index.json"


def set_root(artifacts_root: str | Path, name: str) -> str:
    """``<artifacts>/mds/<name>``: a local folder or a URI prefix."""
    return storage.join(storage.absolute(str(artifacts_root)), "mds", name)


def version_dir(root: str | Path, run_id: str) -> str:
    return storage.join(str(root), f"v{run_id}")


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
