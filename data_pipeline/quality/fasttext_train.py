"""Robust in-process fastText supervised training.

Why Python training "randomly" failed with ``RuntimeError: Encountered NaN`` (GUIDE §1): fastText
(0.9.2/0.9.3) initialises the input embedding matrix in 10 blocks, one block per training thread
(``DenseMatrix::uniform``), and the matrix storage (``intgemm::AlignedVector``, from
``posix_memalign``) is not zeroed. With fewer than 10 threads only ``thread/10`` of the rows get
random values; the others hold whatever the allocator handed back. Fresh pages are zero, but
memory reused from earlier allocations (a second model in the same process, Spark, numpy...) can
hold NaN or huge values, and the first dot product with such a row raises "Encountered NaN".
The Python binding defaults to ``cpu_count() - 1`` threads (1 on a 2-core machine), the command-line
tool to 12, which is why the CLI never failed. Measured here on 200 synthetic lines, dim 16, 10
seeds: 1 thread failed 2-10 of 10 runs, 10 or 12 threads 0 of 10 (also with 1 and 20 epochs).

A second, smaller effect remains with 10 threads: at dim 16 (one of the sizes fastText 0.9.3
averages with a hand-written SIMD path: 16, 32, 64, 256, 512), lr 0.1 and a small matrix
(bucket 1,000), 2 of 8 seeds still failed; with lr 0.05, dim 24 or the default 2M bucket 0 of 8
failed. That one is not explained here.

So training here always uses at least 10 threads (the OS time-slices them on fewer cores; the
result is not bit-reproducible across runs, as with any Hogwild fastText training), keeps a
non-empty hash bucket so the last ``rows*dim mod 10`` never-initialised floats fall in unused
bucket rows, defaults to dim 100 (no SIMD special case), checks the trained matrices are finite,
and on a failure retries with the next seed and half the learning rate (up to ``attempts``),
recording every attempt in the artifact manifest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MIN_THREADS = 10


@dataclass
class TrainParams:
    """fastText supervised parameters (defaults suit a binary quality classifier)."""

    dim: int = 100
    epoch: int = 10
    lr: float = 0.1
    word_ngrams: int = 2
    min_count: int = 2
    bucket: int = 200_000
    seed: int = 0
    threads: int = MIN_THREADS
    attempts: int = 3
    extra: dict[str, Any] = field(default_factory=dict)


def train_supervised(path: str, params: TrainParams) -> tuple[Any, dict[str, Any]]:
    """Train on a fastText-format file; return (model, facts about the attempts)."""
    import fasttext

    errors = []
    for attempt in range(params.attempts):
        seed = params.seed + attempt
        lr = params.lr / (2**attempt)
        try:
            model = fasttext.train_supervised(
                input=path,
                dim=params.dim,
                epoch=params.epoch,
                lr=lr,
                wordNgrams=params.word_ngrams,
                minCount=params.min_count,
                bucket=max(1, params.bucket),
                seed=seed,
                thread=max(MIN_THREADS, params.threads),
                verbose=0,
                **params.extra,
            )
        except RuntimeError as err:
            errors.append(f"seed {seed}: {err}")
            log.warning(
                "fastText training failed (%s); retrying: seed %d, lr %g", err, seed + 1, lr / 2
            )
            continue
        if not _finite(model):
            errors.append(f"seed {seed}: non-finite weights")
            continue
        return model, {"seed": seed, "lr": lr, "attempts": attempt + 1, "errors": errors}
    raise RuntimeError(f"fastText training failed {params.attempts} times: {errors}")


def _finite(model) -> bool:
    output = np.asarray(model.get_output_matrix())
    if not np.isfinite(output).all():
        return False
    words = model.get_words()
    sample = [model.get_word_vector(w) for w in words[:2000]]
    return bool(np.isfinite(np.asarray(sample)).all()) if sample else True
