"""Restore weights and optimizer state from the last checkpoint saved before a given batch.

Time, learning-rate schedule and data position are kept: training goes on with the batches
after the bad ones (as PaLM did after loss spikes). Works with Composer's monolithic
checkpoints (``ep{E}-ba{B}-rank0.pt``, the default ``state_dict_type: full``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import torch
from composer.core import State
from composer.loggers import Logger

log = logging.getLogger(__name__)
_CKPT = re.compile(r"^ep\d+-ba(\d+)-rank0\.pt$")


def checkpoints_by_batch(folder: str | Path) -> dict[int, Path]:
    """Composer checkpoints in ``folder`` keyed by the batch they were saved at."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = _CKPT.match(path.name)
        if match and path.is_file() and not path.is_symlink():
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def rollback(state: State, logger: Logger, folder: str | Path, before_batch: int) -> int | None:
    """Load the newest checkpoint saved before ``before_batch``; its batch, or None if none."""
    candidates = [b for b in checkpoints_by_batch(folder) if b < before_batch]
    if not candidates:
        return None
    batch = max(candidates)
    path = checkpoints_by_batch(folder)[batch]
    saved = torch.load(path, map_location="cpu", weights_only=False)["state"]
    state.load_model_state(saved, logger, strict=True)
    state.load_optim_state(saved)
    log.warning("rolled back weights and optimizer to %s (batch %d)", path.name, batch)
    return batch
