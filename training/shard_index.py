"""Where the MDS streams of a shard folder are and what their indexes say (no torch, no
streaming: cheap to import). Folders may be local or in an object store
(``data_pipeline.lakehouse.storage``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from data_pipeline.lakehouse import storage


def _index(folder: str, split: str | None) -> str:
    return (
        storage.join(folder, split, "index.json") if split else storage.join(folder, "index.json")
    )


def read_index(folder: str, split: str | None = None) -> dict:
    """The stream's ``index.json`` (a local file or an object)."""
    return json.loads(storage.read_text(_index(folder, split)))


def latest_version(root: str) -> str:
    """A shard-set folder of the tokenize stage (with ``LATEST``) means its newest version."""
    if storage.is_file(storage.join(root, "LATEST")) and not storage.is_file(
        storage.join(root, "index.json")
    ):
        return storage.join(root, storage.read_text(storage.join(root, "LATEST")).strip())
    return root


def stream_dirs(root: str | Path, split: str | None = None) -> list[str]:
    """The MDS streams under ``root`` (a folder or a URI): itself, or each sub-folder holding an
    index; a shard set's newest version. Found from one listing, without reading shards."""
    root = latest_version(storage.absolute(str(root)))
    if storage.is_file(_index(root, split)):
        return [root]
    prefix = root.rstrip("/").rstrip(os.sep)
    tail = f"{split}/index.json" if split else "index.json"
    files = storage.list_files(root)
    if not files:
        raise FileNotFoundError(f"shard folder {root} does not exist or is empty")
    found = set()
    for info in files:
        relative = info.path[len(prefix) :].replace(os.sep, "/").lstrip("/")
        head, _, rest = relative.partition("/")
        if rest == tail:
            found.add(storage.join(root, head))
    if not found:
        where = f"{root}/<stream>/{split}" if split else f"{root} or {root}/<stream>"
        raise FileNotFoundError(f"no MDS index.json in {where}")
    return sorted(found)
