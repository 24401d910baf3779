"""Guards on real Composer runs: a loss spike rolls back to the last good checkpoint, a NaN stops.

The spike and the NaN are caused by a test callback that corrupts the weights after a given
batch (the only way to make a tiny healthy run diverge on purpose).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from composer.core import Callback

from tests.training.conftest import recipe_dict
from training.callbacks import LossSpikeDetector, TrainingDiverged
from training.callbacks.loss_history import read_history
from training.recipe_files import recipe_from_dict
from training.run import train


class CorruptWeights(Callback):
    """After batch ``at``: add noise of ``scale`` to every weight (or NaN)."""

    def __init__(self, at: int, scale: float):
        self.at, self.scale = at, scale

    def batch_end(self, state, logger):
        if int(state.timestamp.batch) != self.at:
            return
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for param in state.model.parameters():
                noise = torch.randn(param.shape, generator=generator) * self.scale
                param.add_(noise if np.isfinite(self.scale) else torch.full_like(param, self.scale))


def test_detector_needs_patience_and_keeps_outliers_out_of_the_window():
    detector = LossSpikeDetector(window=4, multiplier=2.0, patience=3)
    losses = [1.0, 1.0, 1.0, 1.0, 5.0, 5.0, 1.0, 5.0, 5.0, 5.0]
    fired = [detector.observe(loss, batch) for batch, loss in enumerate(losses, start=1)]
    assert fired == [False] * 9 + [True]
    assert detector.spike_start == 8 and list(detector.history) == [1.0] * 4


def test_loss_spike_rolls_back_to_the_checkpoint_before_it(shard_set, tmp_path):
    spike = {"window": 4, "multiplier": 1.5, "patience": 2, "action": "rollback"}
    raw = recipe_dict(shard_set, tmp_path, duration="16ba", **{"monitoring.loss_spike": spike})
    result = train(recipe_from_dict(raw, "spike"), extra_callbacks=[CorruptWeights(9, 1.0)])
    assert result["status"] == "completed" and result["batches"] == 16
    [event] = result["loss_spikes"]
    assert (event["start"], event["end"], event["rolled_back_to"]) == (10, 11, 8)
    history, _ = read_history(f"{result['run_dir']}/metrics.jsonl")
    assert history[10]["loss"] > 1.5 * history[9]["loss"]
    assert history[12]["loss"] < 1.2 * history[9]["loss"]  # back on the good weights


def test_nan_loss_stops_the_run_naming_the_batch(shard_set, tmp_path):
    raw = recipe_dict(shard_set, tmp_path, duration="8ba")
    with pytest.raises(TrainingDiverged, match="at batch 6"):
        train(recipe_from_dict(raw, "nan"), extra_callbacks=[CorruptWeights(5, float("nan"))])
