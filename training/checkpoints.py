"""The checkpoint folder of a run: Composer checkpoints by batch, and unconfirmed ones.

Composer writes ``ep{E}-ba{B}-rank0.pt`` in place and then points ``latest-rank0.pt`` at it, so
a run killed in between leaves a checkpoint that may be incomplete and that autoresume does not
know; Composer then refuses to start ("may conflict with a future checkpoint"). Before a run
(re)starts, ``set_aside_unconfirmed`` renames such files to ``*.unconfirmed`` (kept for
inspection until the run completes, never loaded) so the run resumes from the last confirmed
checkpoint.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

log = logging.getLogger(__name__)
CHECKPOINT_NAME = re.compile(r"^ep\d+-ba(\d+)-rank(\d+)\.pt$")
LATEST = "latest-rank0.pt"


def checkpoints_by_batch(folder: str | Path, rank: int = 0) -> dict[int, Path]:
    """Composer checkpoints of ``rank`` in ``folder`` keyed by the batch they were saved at."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = CHECKPOINT_NAME.match(path.name)
        if match and int(match.group(2)) == rank and path.is_file() and not path.is_symlink():
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def latest_confirmed(folder: str | Path) -> Path | None:
    """The checkpoint ``latest-rank0.pt`` points at, if any."""
    link = Path(folder) / LATEST
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_file() else None


def set_aside_unconfirmed(folder: str | Path) -> list[Path]:
    """Rename checkpoints newer than the confirmed latest one; returns their new paths."""
    latest = latest_confirmed(folder)
    confirmed = -1
    if latest is not None and (match := CHECKPOINT_NAME.match(latest.name)):
        confirmed = int(match.group(1))
    moved = []
    for path in Path(folder).glob("ep*-ba*-rank*.pt") if Path(folder).is_dir() else []:
        match = CHECKPOINT_NAME.match(path.name)
        if match and int(match.group(1)) > confirmed and not path.is_symlink():
            target = path.with_name(path.name + ".unconfirmed")
            os.replace(path, target)
            log.warning("set aside %s: written after the last confirmed checkpoint", path.name)
            moved.append(target)
    return moved


def remove_unconfirmed(folder: str | Path) -> list[Path]:
    """Delete the checkpoints set aside as unconfirmed (once the run has completed)."""
    found = sorted(Path(folder).glob("*.unconfirmed")) if Path(folder).is_dir() else []
    for path in found:
        path.unlink()
    return found


def prune(folder: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints (``keep`` < 1: keep all); returns them.

    Composer's saver only counts the checkpoints it wrote itself, so after a resume the ones of
    earlier attempts would stay for ever; the run calls this once resumed and after fitting.
    The checkpoint ``latest-rank0.pt`` points at is never deleted.
    """
    if keep < 1:
        return []
    latest = latest_confirmed(folder)
    found = checkpoints_by_batch(folder)
    removed = []
    for _, path in list(found.items())[:-keep]:
        if latest is not None and path.resolve() == latest:
            continue
        path.unlink()
        removed.append(path)
    return removed
