"""Composer callbacks of ladder: loss history, NaN guard, loss-spike detector, sample ledger.

Metric keys they log (besides Composer's own ``loss/train/total``, ``lr-*``, ``throughput/*``,
``metrics/eval/*``):

- ``data/truncated_tokens``: tokens cut from sequences longer than ``seq_len`` (LossHistory)
- ``loss_spike/events``, ``loss_spike/rollbacks``: spikes and rollbacks (LossSpikeDetector)
- ``nan/events``: non-finite losses seen (NaNGuard)
"""

from training.callbacks.loss_history import LossHistory
from training.callbacks.loss_spike import LossSpikeDetector
from training.callbacks.nan_guard import NaNGuard, TrainingDiverged
from training.callbacks.sample_ledger import SampleLedger

__all__ = ["LossHistory", "LossSpikeDetector", "NaNGuard", "SampleLedger", "TrainingDiverged"]
