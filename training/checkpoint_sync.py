"""Composer checkpoints on an object store: pushed after each save, pulled before a resume.

Composer writes checkpoints into the run's local ``checkpoints/`` folder as usual. With a remote
run root, ``CheckpointPush`` (run after Composer's checkpoint saver) uploads each confirmed
checkpoint, one object per file, and only then rewrites ``latest-rank0.pt.symlink`` beside
them, so the pointer never names a missing or partial object. Its content is the checkpoint's
key in the bucket, Composer's own format (``load_path=<remote>/latest-rank0.pt`` works too).
Before a run starts, ``pull_latest`` downloads the checkpoint that pointer names when the local
folder has nothing as new (a new machine, a wiped scratch folder) and points the local
``latest-rank0.pt`` at it, so Composer's ``autoresume`` continues from the remote checkpoint.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from composer.core import Callback, State
from composer.loggers import Logger
from composer.utils import dist

from data_pipeline.lakehouse import storage
from training.checkpoints import CHECKPOINT_NAME, LATEST, checkpoints_by_batch, latest_confirmed

log = logging.getLogger(__name__)
POINTER = LATEST + ".symlink"


def _key(uri: str) -> str:
    """The object key with its bucket (``bucket/prefix/name``), as Composer's symlinks hold."""
    return uri.split("://", 1)[1]


def remote_checkpoints(remote: str) -> dict[int, str]:
    """Checkpoints of rank 0 under ``remote`` keyed by batch (listing only)."""
    found = {}
    for info in storage.list_files(remote):
        match = CHECKPOINT_NAME.match(storage.basename(info.path))
        if match and int(match.group(2)) == 0:
            found[int(match.group(1))] = info.path
    return dict(sorted(found.items()))


def remote_latest(remote: str) -> str | None:
    """The checkpoint URI ``latest-rank0.pt.symlink`` names, or None before the first push."""
    pointer = storage.join(remote, POINTER)
    if not storage.exists(pointer):
        return None
    prefix = remote.split("://", 1)[0]
    return f"{prefix}://{storage.read_text(pointer).strip()}"


def _batch(name: str) -> int:
    match = CHECKPOINT_NAME.match(os.path.basename(name))
    return int(match.group(1)) if match else -1


def push(local: str | Path, remote: str, keep: int = -1) -> list[str]:
    """Upload confirmed local checkpoints missing under ``remote``, then move the pointer.

    ``keep`` > 0 deletes all but the newest ``keep`` remote checkpoints (as Composer does
    locally). Returns the URIs uploaded."""
    latest = latest_confirmed(local)
    if latest is None:
        return []
    confirmed = _batch(latest.name)
    have = {storage.basename(u) for u in remote_checkpoints(remote).values()}
    uploaded = []
    for batch, path in checkpoints_by_batch(local).items():
        if batch > confirmed or path.name in have:
            continue
        target = storage.join(remote, path.name)
        with open(path, "rb") as source, storage.open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 22)
        uploaded.append(target)
    current = remote_latest(remote)
    wanted = storage.join(remote, latest.name)
    if current != wanted:
        storage.write_text(storage.join(remote, POINTER), _key(wanted))
    if keep > 0:
        for uri in list(remote_checkpoints(remote).values())[:-keep]:
            if uri != wanted:
                storage.remove_tree(uri)
    return uploaded


def pull_latest(remote: str, local: str | Path) -> Path | None:
    """Make the remote latest checkpoint the local one unless the local folder is as new.

    Returns the downloaded file, or None when nothing was needed."""
    uri = remote_latest(remote)
    if uri is None:
        return None
    local = Path(local)
    mine = latest_confirmed(local)
    if mine is not None and _batch(mine.name) >= _batch(uri):
        return None
    local.mkdir(parents=True, exist_ok=True)
    target = local / storage.basename(uri)
    staging = local / f".{target.name}.download-{os.getpid()}"
    try:
        with storage.open(uri, "rb") as source, open(staging, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 22)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{remote}/{POINTER} names {uri}, which is missing") from err
    os.replace(staging, target)
    link = local / LATEST
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(target.name, link)
    log.warning("resuming from the remote checkpoint %s", uri)
    return target


class CheckpointPush(Callback):
    """Pushes the run's local checkpoints to ``remote`` after Composer saves one.

    Append it to ``trainer.state.callbacks`` after the Trainer is built, so it runs after
    Composer's ``CheckpointSaver`` at each checkpoint event."""

    def __init__(self, local: str | Path, remote: str, keep: int = -1):
        self.local, self.remote, self.keep = Path(local), remote, keep

    def _push(self) -> None:
        if dist.get_global_rank() == 0:
            push(self.local, self.remote, self.keep)

    def batch_checkpoint(self, state: State, logger: Logger) -> None:
        self._push()

    def epoch_checkpoint(self, state: State, logger: Logger) -> None:
        self._push()

    def fit_end(self, state: State, logger: Logger) -> None:
        self._push()
