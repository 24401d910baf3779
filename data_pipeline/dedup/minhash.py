"""MinHash signatures and LSH band keys, vectorised over a batch of documents.

The permutations are datasketch's (``datasketch.MinHash(num_perm, seed)``, scheme
``affine32``): each shingle hash ``h`` is pre-mixed with the MurmurHash3 32-bit finaliser and
permuted as ``a * h + b mod 2**32``; the signature keeps the minimum per permutation. Given the
same shingle hashes, ``signatures`` returns exactly ``MinHash.hashvalues``. A document without
shingles gets the empty signature (every value ``2**32 - 1``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from data_pipeline.dedup.shingles import K0, K2, _fmix64

EMPTY = np.uint32(0xFFFFFFFF)
_W = np.uint32


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) uint32 permutation parameters datasketch draws for ``num_perm`` and ``seed``."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (datasketch's pre-mix of every input hash)."""
    h = h ^ (h >> _W(16))
    h = h * _W(0x85EBCA6B)
    h = h ^ (h >> _W(13))
    h = h * _W(0xC2B2AE35)
    return h ^ (h >> _W(16))


def signatures(
    hashes: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int, chunk: int = 2048
) -> np.ndarray:
    """MinHash signatures, shape (documents, num_perm), uint32.

    ``hashes`` are the uint32 shingle hashes of all documents in order; document ``i`` owns
    ``hashes[offsets[i]:offsets[i + 1]]``. Work is done in chunks of ``chunk`` shingles laid
    out permutation-major, so the scratch matrix stays in cache and each per-document minimum
    is a contiguous ``reduceat`` (measured ~2x faster than shingle-major on this machine).
    """
    a, b = permutations(num_perm, seed)
    num_docs = len(offsets) - 1
    sig = np.full((num_perm, num_docs), EMPTY, dtype=np.uint32)
    if len(hashes) == 0:
        return np.ascontiguousarray(sig.T)
    with np.errstate(over="ignore"):
        mixed = fmix32(hashes.astype(np.uint32))
        scratch = np.empty((num_perm, chunk), dtype=np.uint32)
        inner = offsets[1:-1]
        for start in range(0, len(mixed), chunk):
            end = min(start + chunk, len(mixed))
            block = scratch[:, : end - start]
            np.multiply(a[:, None], mixed[None, start:end], out=block)
            np.add(block, b[:, None], out=block)
            cuts = inner[(inner > start) & (inner < end)]
            seg_starts = np.concatenate(([start], np.unique(cuts))) - start
            docs = np.searchsorted(offsets, seg_starts + start, side="right") - 1
            reduced = np.minimum.reduceat(block, seg_starts, axis=1)
            sig[:, docs] = np.minimum(sig[:, docs], reduced)
    return np.ascontiguousarray(sig.T)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """A 64-bit key per document and band, shape (documents, bands), int64.

    Band ``j`` covers signature columns ``j*rows .. (j+1)*rows - 1``; two documents share the
    key of a band when those values are equal (up to 64-bit hash collisions, which only add
    candidates that verification removes).
    """
    if bands * rows > sig.shape[1]:
        raise ValueError(f"bands x rows = {bands * rows} exceeds num_perm = {sig.shape[1]}")
    keys = np.empty((sig.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bands):
            h = np.full(sig.shape[0], np.uint64(K0) ^ np.uint64(j), dtype=np.uint64)
            for col in range(j * rows, (j + 1) * rows):
                h = _fmix64((h ^ sig[:, col].astype(np.uint64)) * np.uint64(K2))
            keys[:, j] = h
    return keys.view(np.int64)
