"""LSH banding: choose bands x rows for a Jaccard threshold and describe the S-curve.

Two documents with Jaccard similarity ``s`` share at least one band key with probability
``P(s) = 1 - (1 - s**rows)**bands``. The false-positive area is the integral of ``P`` below the
threshold, the false-negative area the integral of ``1 - P`` above it (the measures datasketch's
``MinHashLSH`` minimises). Verification removes false positives, so the default weighs false
negatives more (0.8 vs 0.2): a missed pair is lost, a false candidate only costs one check.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


def candidate_probability(s: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Probability that two documents of Jaccard similarity ``s`` become candidates."""
    return 1.0 - (1.0 - np.power(s, rows)) ** bands


def _integral(fn, lo: float, hi: float, steps: int = 2001) -> float:
    if hi <= lo:
        return 0.0
    xs = np.linspace(lo, hi, steps)
    return float(np.trapezoid(fn(xs), xs))


def error_areas(threshold: float, bands: int, rows: int) -> tuple[float, float]:
    """(false-positive area below the threshold, false-negative area above it)."""
    fp = _integral(lambda s: candidate_probability(s, bands, rows), 0.0, threshold)
    fn = _integral(lambda s: 1.0 - candidate_probability(s, bands, rows), threshold, 1.0)
    return fp, fn


@dataclass(frozen=True)
class Banding:
    """A banding choice and its error profile."""

    bands: int
    rows: int
    threshold: float
    fp_area: float
    fn_area: float
    chosen_by: str

    @property
    def approx_threshold(self) -> float:
        """The similarity where the S-curve is steepest, about ``(1/bands)**(1/rows)``."""
        return (1.0 / self.bands) ** (1.0 / self.rows)

    def curve(self, points: tuple[float, ...] | None = None) -> list[tuple[float, float]]:
        """(similarity, candidate probability) pairs of the S-curve."""
        pts = points or (0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
        return [(s, float(candidate_probability(s, self.bands, self.rows))) for s in pts]

    def as_dict(self) -> dict:
        return {
            "bands": self.bands,
            "rows": self.rows,
            "threshold": self.threshold,
            "approx_threshold": round(self.approx_threshold, 4),
            "fp_area": round(self.fp_area, 6),
            "fn_area": round(self.fn_area, 6),
            "p_candidate_at_threshold": round(
                float(candidate_probability(self.threshold, self.bands, self.rows)), 6
            ),
            "chosen_by": self.chosen_by,
            "s_curve": [[s, round(p, 6)] for s, p in self.curve()],
        }


@lru_cache(maxsize=64)
def choose_banding(
    threshold: float,
    num_perm: int,
    fp_weight: float = 0.2,
    fn_weight: float = 0.8,
    min_p_at_threshold: float | None = None,
    bands: int | None = None,
    rows: int | None = None,
) -> Banding:
    """Bands x rows (<= num_perm) minimising ``fp_weight*FP + fn_weight*FN``, unless given.

    ``min_p_at_threshold`` keeps only choices whose candidate probability at the threshold
    reaches it (when none does, the one closest to it wins).
    """
    if bands and rows:
        if bands * rows > num_perm:
            raise ValueError(f"bands x rows = {bands * rows} exceeds num_perm = {num_perm}")
        fp, fn = error_areas(threshold, bands, rows)
        return Banding(bands, rows, threshold, fp, fn, "configured")
    best = None
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            if (bands and b != bands) or (rows and r != rows):
                continue
            fp, fn = error_areas(threshold, b, r)
            shortfall = max(
                0.0, (min_p_at_threshold or 0.0) - candidate_probability(threshold, b, r)
            )
            cost = (shortfall, fp_weight * fp + fn_weight * fn)
            if best is None or cost < best[0]:
                best = (cost, b, r, fp, fn)
    assert best is not None
    _, b, r, fp, fn = best
    how = f"min {fp_weight:g}*FP + {fn_weight:g}*FN over bands*rows <= {num_perm}"
    if min_p_at_threshold:
        how += f" with P(candidate | s={threshold:g}) >= {min_p_at_threshold:g}"
    return Banding(b, r, threshold, fp, fn, how)
