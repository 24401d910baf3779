"""Where a training run writes, when its outputs live in a local folder or an object store.

A run's durable root is ``<output_dir>/<run_name>``: a local folder or a URI such as
``s3://bucket/artifacts/train/<run>``. What must survive the machine goes there: Composer
checkpoints (``checkpoints/``, pushed by ``training.checkpoints``), the exported model
(``hf_model/``) and ``result.json``, plus copies of ``metrics.jsonl`` and ``recipe.yaml`` when the
run ends. Working files stay in a local scratch folder: the same folder for a local root, else
``local_mirror(root)`` under ``$LADDER_SCRATCH`` (default ``<tmp>/ladder-scratch``), which a new
machine may lack; the run then resumes from the remote checkpoint.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from data_pipeline.lakehouse import storage

SCRATCH_VARIABLE = "LADDER_SCRATCH"
COMPLETE_SUFFIX = ".ladder-complete"


def scratch_root() -> Path:
    """Local folder for working copies of remote runs and models (``$LADDER_SCRATCH``)."""
    return Path(os.environ.get(SCRATCH_VARIABLE) or Path(tempfile.gettempdir()) / "ladder-scratch")


def local_mirror(path: str) -> Path:
    """A local folder for ``path``: itself when local, else ``<scratch>/<scheme>/<bucket/key>``."""
    if not storage.is_remote(path):
        return Path(storage.absolute(path))
    proto, rest = path.split("://", 1)
    return scratch_root() / proto.lower() / rest.strip("/")


def complete_marker(folder: Path) -> Path:
    """The file beside a local mirror saying it holds all of its URI's files."""
    return folder.with_name(folder.name + COMPLETE_SUFFIX)


def local_copy(path: str) -> Path:
    """A local folder with the files of ``path`` (downloaded once for a URI, then reused).

    The copy is complete when its marker file exists; an interrupted download starts over."""
    target = local_mirror(path)
    if not storage.is_remote(path) or complete_marker(target).is_file():
        return target
    if not storage.list_files(path):
        raise FileNotFoundError(f"{path}: no such folder or prefix (nothing to download)")
    storage.remove_tree(str(target))
    storage.download_tree(path, str(target))
    complete_marker(target).write_text(path)
    return target


@overload
def package_models_root(artifacts_root: str) -> Path: ...
@overload
def package_models_root(artifacts_root: None) -> None: ...
def package_models_root(artifacts_root: str | None) -> Path | None:
    """Where base models and tokenizers converted from installed packages go: the artifacts
    folder, or this machine's cache (``storage.local_cache``) when the artifacts are remote."""
    if artifacts_root is None:
        return None
    return Path(storage.local_cache() if storage.is_remote(artifacts_root) else artifacts_root)


@dataclass(frozen=True)
class RunPaths:
    """Where one run writes: ``root`` (durable, local or URI) and ``scratch`` (local)."""

    root: str
    scratch: Path

    @classmethod
    def at(cls, root: str | Path) -> RunPaths:
        root = storage.absolute(str(root))
        return cls(root, local_mirror(root))

    @property
    def remote(self) -> bool:
        return storage.is_remote(self.root)

    @property
    def checkpoints(self) -> Path:
        """Composer's ``save_folder`` (local; pushed to ``remote_checkpoints`` for a URI root)."""
        return self.scratch / "checkpoints"

    @property
    def remote_checkpoints(self) -> str | None:
        return storage.join(self.root, "checkpoints") if self.remote else None

    @property
    def hf_model(self) -> str:
        return storage.join(self.root, "hf_model")

    @property
    def result(self) -> str:
        return storage.join(self.root, "result.json")

    @property
    def metrics(self) -> Path:
        return self.scratch / "metrics.jsonl"

    @property
    def data_cache(self) -> Path:
        """Decompressed or downloaded shards (removed when the run completes)."""
        return self.scratch / "data_cache"

    @property
    def ledger(self) -> Path:
        return self.scratch / "ledger"

    @property
    def recipe(self) -> Path:
        """The resolved recipe the training processes load (always a local file)."""
        return self.scratch / "recipe.yaml"

    def read_result(self) -> dict | None:
        """``result.json`` of the run, or None before it ended."""
        import json

        if not storage.exists(self.result):
            return None
        return json.loads(storage.read_text(self.result))

    def publish(self) -> None:
        """Copy the run's records (metrics, recipe, ledger) from scratch to a remote root."""
        if not self.remote:
            return
        for local in (self.metrics, self.recipe):
            if local.is_file():
                storage.write_bytes(storage.join(self.root, local.name), local.read_bytes())
        if self.ledger.is_dir():
            storage.upload_tree(str(self.ledger), storage.join(self.root, "ledger"))
