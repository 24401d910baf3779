"""``NaNGuard``: stops on a non-finite training loss, or rolls back to the last checkpoint.

Checks the loss averaged over all ranks at the end of each batch, so every rank takes the same
decision. ``action='raise'`` raises ``TrainingDiverged`` naming the batch; ``'rollback'``
restores the last checkpoint saved before it (see ``rollback``) and raises when there is none
or after ``max_rollbacks``. Logs ``nan/events``.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from composer.core import Callback, State
from composer.loggers import Logger

from training.callbacks.rollback import rollback

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or infinite."""


class NaNGuard(Callback):
    """Stops (or rolls back) when the loss is not finite."""

    def __init__(
        self, action: str = "raise", save_folder: str | Path | None = None, max_rollbacks: int = 3
    ):
        if action not in ("raise", "rollback"):
            raise ValueError(f"NaNGuard action must be 'raise' or 'rollback', not {action!r}")
        self.action = action
        self.save_folder = save_folder
        self.max_rollbacks = max_rollbacks
        self.events = 0

    def batch_end(self, state: State, logger: Logger) -> None:
        loss = (state.total_loss_dict or {}).get("loss/train/total")
        if loss is None or math.isfinite(float(loss)):
            return
        self.events += 1
        batch = int(state.timestamp.batch)
        logger.log_metrics({"nan/events": self.events})
        message = f"training loss is {loss} at batch {batch}"
        if self.action == "rollback" and self.save_folder and self.events <= self.max_rollbacks:
            restored = rollback(state, logger, self.save_folder, batch)
            if restored is not None:
                log.warning("%s: rolled back to the checkpoint of batch %d", message, restored)
                return
            message += " and no earlier checkpoint to roll back to"
        raise TrainingDiverged(message)

    def state_dict(self) -> dict:
        return {"events": self.events}

    def load_state_dict(self, state: dict) -> None:
        self.events = int(state.get("events", 0))
