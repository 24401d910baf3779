"""``LossSpikeDetector``: a rolling-window outlier test on the training loss.

A batch is an outlier when its loss (averaged over ranks) exceeds ``multiplier`` x the mean of
the last ``window`` non-outlier losses; ``patience`` outliers in a row make a spike (after the
window has filled). Defaults follow llm-foundry's kill-loss-spike idea: window 100,
multiplier 2, patience 4. On a spike it logs ``loss_spike/events`` and a warning, then per
``action``: ``log`` (start a new baseline), ``stop`` (end training after this batch, saving a
checkpoint), or ``rollback`` (restore weights and optimizer from the last checkpoint saved
before the spike began and go on with the next data; stops when none exists or after
``max_rollbacks``).
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path

from composer.core import Callback, State
from composer.loggers import Logger

from training.callbacks.rollback import rollback

log = logging.getLogger(__name__)


class LossSpikeDetector(Callback):
    """Detects sustained loss spikes; logs, stops or rolls back."""

    def __init__(
        self,
        window: int = 100,
        multiplier: float = 2.0,
        patience: int = 4,
        action: str = "log",
        save_folder: str | Path | None = None,
        max_rollbacks: int = 3,
    ):
        if action not in ("log", "stop", "rollback"):
            raise ValueError(f"loss-spike action must be log, stop or rollback, not {action!r}")
        self.window = window
        self.multiplier = multiplier
        self.patience = patience
        self.action = action
        self.save_folder = save_folder
        self.max_rollbacks = max_rollbacks
        self.history: deque[float] = deque(maxlen=window)
        self.streak = 0
        self.spike_start = 0
        self.events = 0
        self.rollbacks = 0
        self.spikes: list[dict] = []

    def is_outlier(self, loss: float) -> bool:
        if len(self.history) < self.window:
            return False
        return loss > self.multiplier * (sum(self.history) / len(self.history))

    def observe(self, loss: float, batch: int) -> bool:
        """Feed one loss; True when it completes a spike."""
        if self.is_outlier(loss):
            if self.streak == 0:
                self.spike_start = batch
            self.streak += 1
            return self.streak >= self.patience
        self.streak = 0
        self.history.append(loss)
        return False

    def batch_end(self, state: State, logger: Logger) -> None:
        loss = (state.total_loss_dict or {}).get("loss/train/total")
        if loss is None:
            return
        batch = int(state.timestamp.batch)
        if not self.observe(float(loss), batch):
            return
        self.events += 1
        baseline = sum(self.history) / len(self.history)
        spike = {"start": self.spike_start, "end": batch, "loss": float(loss), "baseline": baseline}
        self.spikes.append(spike)
        logger.log_metrics({"loss_spike/events": self.events})
        log.warning(
            "loss spike: %d batches in a row above %.1f x the mean %.4f (batches %d-%d, last %.4f)",
            self.streak, self.multiplier, baseline, self.spike_start, batch, float(loss),
        )  # fmt: skip
        self.streak = 0
        if self.action == "log":
            self.history.clear()
        elif self.action == "stop":
            state.stop_training()
        else:
            restored = None
            if self.rollbacks < self.max_rollbacks and self.save_folder:
                restored = rollback(state, logger, self.save_folder, self.spike_start)
            if restored is None:
                log.warning("loss spike: no checkpoint before batch %d; stopping", self.spike_start)
                state.stop_training()
                return
            self.rollbacks += 1
            spike["rolled_back_to"] = restored
            logger.log_metrics({"loss_spike/rollbacks": self.rollbacks})

    def state_dict(self) -> dict:
        return {
            "history": list(self.history),
            "streak": self.streak,
            "spike_start": self.spike_start,
            "events": self.events,
            "rollbacks": self.rollbacks,
            "spikes": self.spikes,
        }

    def load_state_dict(self, state: dict) -> None:
        self.history = deque(state.get("history", []), maxlen=self.window)
        self.streak = int(state.get("streak", 0))
        self.spike_start = int(state.get("spike_start", 0))
        self.events = int(state.get("events", 0))
        self.rollbacks = int(state.get("rollbacks", 0))
        self.spikes = list(state.get("spikes", []))
