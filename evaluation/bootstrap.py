"""Confidence intervals over training seeds and evaluation items: a two-level bootstrap.

A figure measured on ``k`` seeds, each scored on the same ``n`` items, has the point estimate
``mean over seeds of stat(items of that seed)``. One bootstrap replicate draws ``k`` seeds with
replacement and ``n`` item indices with replacement (the same indices for every seed and, because
``Bootstrap`` caches them per ``n``, for every variant: comparisons are paired over items) and
averages ``stat`` over the drawn seeds. The interval is the percentile interval of ``samples``
replicates (default 1,000 at 95%).

``stat`` reduces the items axis of an array ``(..., n, columns)``: ``mean_stat`` (column 0, e.g.
accuracy per item) or ``ratio_stat`` (sum of column 0 / sum of column 1, e.g. bits / bytes per
document). Two figures are *not distinguishable* when the interval of their replicate differences
contains 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Stat = Callable[[np.ndarray], np.ndarray]


def mean_stat(x: np.ndarray) -> np.ndarray:
    """Mean of column 0 over the items axis."""
    return x[..., 0].mean(axis=-1)


def ratio_stat(x: np.ndarray) -> np.ndarray:
    """Sum of column 0 / sum of column 1 over the items axis (bits per byte)."""
    return x[..., 0].sum(axis=-1) / np.maximum(x[..., 1].sum(axis=-1), 1e-12)


@dataclass
class Estimate:
    """A point value, its interval and the bootstrap replicates behind it."""

    value: float
    low: float
    high: float
    replicates: np.ndarray

    def overlaps(self, other: Estimate) -> bool:
        return self.low <= other.high and other.low <= self.high


class Bootstrap:
    """Two-level (seeds, items) percentile bootstrap with item draws shared per item count."""

    def __init__(self, samples: int = 1000, confidence: float = 0.95, seed: int = 0):
        if samples < 10 or not 0 < confidence < 1:
            raise ValueError("bootstrap needs samples >= 10 and 0 < confidence < 1")
        self.samples, self.confidence = samples, confidence
        self._rng = np.random.default_rng(seed)
        self._items: dict[int, np.ndarray] = {}

    def item_draws(self, n: int) -> np.ndarray:
        """``(samples, n)`` item indices; the same array for every call with this ``n``."""
        if n not in self._items:
            self._items[n] = self._rng.integers(0, n, size=(self.samples, n))
        return self._items[n]

    def seed_draws(self, k: int) -> np.ndarray:
        """``(samples, k)`` seed indices (fresh draws: one per variant, shared by its figures)."""
        return self._rng.integers(0, k, size=(self.samples, k))

    def interval(self, replicates: np.ndarray) -> tuple[float, float]:
        tail = 100 * (1 - self.confidence) / 2
        low, high = np.percentile(replicates, [tail, 100 - tail])
        return float(low), float(high)

    def estimate(
        self, per_seed: Sequence[np.ndarray], stat: Stat, seeds: np.ndarray | None = None
    ) -> Estimate:
        """``per_seed``: one ``(n, columns)`` array per seed (same ``n``); ``seeds``: the
        variant's seed draws (``seed_draws(k)``), fresh when None."""
        if not per_seed or any(len(a) == 0 for a in per_seed):
            raise ValueError("no items to bootstrap over")
        data = np.stack([np.asarray(a, dtype=float).reshape(len(a), -1) for a in per_seed])
        k, n = data.shape[0], data.shape[1]
        seeds = self.seed_draws(k) if seeds is None else seeds
        per_seed_reps = np.stack([stat(data[s][self.item_draws(n)]) for s in range(k)])
        reps = per_seed_reps[seeds, np.arange(self.samples)[:, None]].mean(axis=1)
        value = float(np.mean([stat(data[s]) for s in range(k)]))
        return Estimate(value, *self.interval(reps), reps)

    def combine(self, parts: Sequence[tuple[float, Estimate]], constant: float = 0.0) -> Estimate:
        """``constant + sum(weight * estimate)`` with its interval (replicate by replicate)."""
        value = constant + sum(w * e.value for w, e in parts)
        reps = constant + sum((w * e.replicates for w, e in parts), np.zeros(self.samples))
        return Estimate(float(value), *self.interval(np.asarray(reps)), np.asarray(reps))

    def distinguishable(self, a: Estimate, b: Estimate) -> bool:
        """True when the interval of ``a - b`` (replicate by replicate) excludes 0."""
        low, high = self.interval(a.replicates - b.replicates)
        return not low <= 0.0 <= high
