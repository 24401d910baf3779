"""Stream shares of a phase, as ``streaming.Stream.apply_weights`` derives them, without torch.

``ladder mix show`` only plans tokens; importing ``streaming`` (and with it torch) costs seconds.
This module computes the same proportions; a test checks it against ``apply_weights`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def phase_shares(weights: Sequence, samples: np.ndarray) -> np.ndarray:
    """Each stream's share of the phase's draws (sums to 1).

    ``weights``: objects with ``proportion``, ``repeat`` and ``choose`` (None when unset), all
    relative (``proportion``) or all absolute; ``samples``: sequences in each stream.
    Relative: proportions normalised. Absolute: each stream's draws (``repeat`` x samples,
    ``choose``, or its samples) over their sum.
    """
    if weights and weights[0].proportion is not None:
        shares = np.array([w.proportion for w in weights], np.float64)
        return shares / shares.sum()
    draws = np.array(
        [
            int(w.repeat * n) if w.repeat is not None else w.choose if w.choose is not None else n
            for w, n in zip(weights, samples, strict=True)
        ],
        np.int64,
    )
    return draws / draws.sum()
