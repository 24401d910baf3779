"""Restore weights and optimizer state from the last checkpoint saved before a given batch.

Time, learning-rate schedule and data position are kept: training goes on with the batches
after the bad ones (as PaLM did after loss spikes). Works with Composer's monolithic
checkpoints (``ep{E}-ba{B}-rank0.pt``, the default ``state_dict_type: full``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from composer.core import State
from composer.loggers import Logger

from training.checkpoints import checkpoints_by_batch

log = logging.getLogger(__name__)


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
