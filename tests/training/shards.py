"""Tiny MDS shard sets for training tests, written with streaming's own MDSWriter."""

from __future__ import annotations

from pathlib import Path

import numpy as np

VOCAB = 512


def sequences(count: int, length: int, seed: int) -> list[np.ndarray]:
    """Learnable sequences: arithmetic progressions modulo the vocabulary, random start/step."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, VOCAB, count)
    steps = rng.integers(1, 7, count)
    idx = np.arange(length)
    return [((s + k * idx) % VOCAB).astype(np.int32) for s, k in zip(starts, steps, strict=True)]


def write_mds(
    folder: Path,
    count: int,
    length: int,
    seed: int = 0,
    loss_mask: bool = False,
    size_limit: int = 1 << 14,
    compression: str | None = None,
) -> Path:
    """One MDS stream of ``count`` sequences (with a loss mask hiding the first half if asked)."""
    from streaming import MDSWriter

    columns = {"tokens": "ndarray:int32"}
    if loss_mask:
        columns["loss_mask"] = "ndarray:uint8"
    with MDSWriter(
        out=str(folder), columns=columns, size_limit=size_limit, compression=compression
    ) as writer:
        for seq in sequences(count, length, seed):
            sample = {"tokens": seq}
            if loss_mask:
                mask = np.zeros(length, dtype=np.uint8)
                mask[length // 2 :] = 1
                sample["loss_mask"] = mask
            writer.write(sample)
    return folder


def write_shard_set(root: Path, length: int, train: int = 96, val: int = 16) -> Path:
    """One stream per source, each with train/ and val/ splits; wiki zstd-compressed (as the
    tokenize stage writes), news raw."""
    for i, source in enumerate(("wiki", "news")):
        zstd = "zstd" if source == "wiki" else None
        write_mds(root / source / "train", train // 2, length, seed=10 + i, compression=zstd)
        write_mds(root / source / "val", val // 2, length, seed=100 + i, compression=zstd)
    return root
