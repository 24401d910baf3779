"""Shingles and their 32-bit hashes, vectorised over a batch of documents.

Two shingle modes: ``word`` (n consecutive tokens joined by one space; the default, n=5) and
``char`` (n consecutive characters of the normalised text, for languages written without
spaces). A document shorter than n yields one shingle: all its tokens (or characters).

Two hash functions map a shingle's UTF-8 bytes to 32 bits:

- ``fast`` (default): each token's bytes are hashed in 8-byte words with the MurmurHash3
  64-bit finaliser, token hashes are chained by rotate-xor-multiply, and the low 32 bits are
  kept. It runs in numpy over the whole batch (no Python call per shingle).
- ``sha1``: datasketch's default ``sha1_hash32`` (first 4 bytes of SHA-1, little endian),
  one Python call per shingle; bit-for-bit the default of ``datasketch.MinHash``.

Both are plain functions of the shingle bytes (``shingle_hash``), so a signature can always be
checked with ``datasketch.MinHash(hashfunc=...)``.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from data_pipeline.dedup.normalize import NormalizeConfig, Tokens, tokenize
from data_pipeline.lakehouse.config import StrictModel

M64 = (1 << 64) - 1
K0, K1, K2 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
F1, F2 = 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53
_U = np.uint64


class ShingleConfig(StrictModel):
    """How documents become sets of hashed shingles."""

    mode: Literal["word", "char"] = "word"
    n: int = Field(default=5, ge=1, le=64, description="tokens (word) or characters (char)")
    hash_function: Literal["fast", "sha1"] = "fast"


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U(33))
    h = h * _U(F1)
    h = h ^ (h >> _U(33))
    h = h * _U(F2)
    return h ^ (h >> _U(33))


def _unaligned_words(data: np.ndarray) -> np.ndarray:
    """A uint64 view starting at every byte of ``data`` (8 zero bytes of padding added)."""
    padded = np.zeros(len(data) + 8, dtype=np.uint8)
    padded[: len(data)] = data
    return np.ndarray(shape=(len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets as int64, data bytes) of a string or large_string array."""
    offsets_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=offsets_type)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def token_hashes(flat: pa.Array) -> np.ndarray:
    """64-bit hash of each token's UTF-8 bytes (``fast`` scheme)."""
    if len(flat) == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets, data = _string_buffers(flat)
    words = _unaligned_words(data)
    pos = offsets[:-1].copy()
    remaining = offsets[1:] - pos
    with np.errstate(over="ignore"):
        h = _U(K0) ^ (remaining.astype(np.uint64) * _U(K1))
        active = np.flatnonzero(remaining > 0)
        while active.size:
            rem = remaining[active]
            shift = (np.minimum(rem, 8) * 8).astype(np.uint64)
            mask = np.where(rem >= 8, _U(M64), (_U(1) << (shift % _U(64))) - _U(1))
            w = words[pos[active]] & mask
            h[active] = _fmix64((h[active] ^ w) * _U(K2))
            pos[active] += 8
            remaining[active] -= 8
            active = active[remaining[active] > 0]
    return h


def char_hashes(codepoints: np.ndarray) -> np.ndarray:
    """64-bit hash of each character (Unicode code point)."""
    with np.errstate(over="ignore"):
        return _fmix64(codepoints.astype(np.uint64) * _U(K2) + _U(K0))


def _chain(unit: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every run of n consecutive units inside each document.

    ``unit`` holds token (or character) hashes; ``offsets`` the documents' unit offsets.
    Returns (uint32 shingle hashes in document order, per-document shingle offsets).
    """
    total, num_docs = len(unit), len(offsets) - 1
    counts = np.diff(offsets)
    doc_of = np.repeat(np.arange(num_docs), counts)
    ends = offsets[1:][doc_of]
    index = np.arange(total)
    is_short_start = np.zeros(total, dtype=bool)
    is_short_start[offsets[:-1][(counts > 0) & (counts < n)]] = True
    padded = np.concatenate([unit, np.zeros(n, dtype=np.uint64)])
    chained = unit.copy()
    final = np.zeros(total, dtype=np.uint64)
    short_len = counts[doc_of]
    with np.errstate(over="ignore"):
        for k in range(1, n):
            done = is_short_start & (short_len == k)
            final[done] = chained[done]
            chained = ((chained << _U(31)) | (chained >> _U(33))) ^ padded[k : k + total]
            chained = chained * _U(K1)
        final = np.where(short_len >= n, chained, final)
        keep = ((index + n) <= ends) | is_short_start
        hashes = (_fmix64(final[keep]) & _U(0xFFFFFFFF)).astype(np.uint32)
    shingle_counts = np.bincount(doc_of[keep], minlength=num_docs)
    shingle_offsets = np.zeros(num_docs + 1, dtype=np.int64)
    np.cumsum(shingle_counts, out=shingle_offsets[1:])
    return hashes, shingle_offsets


def _sha1_32(data: bytes) -> int:
    return int.from_bytes(hashlib.sha1(data).digest()[:4], "little")


def _char_units(tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Code points of every normalised text, concatenated, and per-document offsets."""
    texts = tokens.texts.to_pylist()
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    joined = "".join(texts).encode("utf-32-le")
    return np.frombuffer(joined, dtype="<u4"), offsets


def batch_shingle_hashes(
    texts: pa.Array, config: ShingleConfig, normalize: NormalizeConfig
) -> tuple[Tokens, np.ndarray, np.ndarray]:
    """Tokens, uint32 shingle hashes (documents in order) and per-document shingle offsets."""
    tokens = tokenize(texts, normalize)
    if config.hash_function == "sha1":
        per_doc = shingles_from_tokens(tokens, config)
        counts = np.array([len(s) for s in per_doc], dtype=np.int64)
        offsets = np.zeros(len(per_doc) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        flat = [_sha1_32(s) for doc in per_doc for s in doc]
        return tokens, np.array(flat, dtype=np.uint32), offsets
    if config.mode == "word":
        unit, unit_offsets = token_hashes(tokens.flat), tokens.offsets
    else:
        codepoints, unit_offsets = _char_units(tokens)
        unit = char_hashes(codepoints)
    hashes, offsets = _chain(unit, unit_offsets, config.n)
    return tokens, hashes, offsets


def shingles_from_tokens(tokens: Tokens, config: ShingleConfig) -> list[list[bytes]]:
    """The shingles of each document as UTF-8 bytes (reference path, one Python list each)."""
    out = []
    n = config.n
    if config.mode == "word":
        flat = tokens.flat.to_pylist()
        for i in range(tokens.num_docs):
            toks = flat[tokens.offsets[i] : tokens.offsets[i + 1]]
            spans = (
                [toks] if 0 < len(toks) < n else [toks[j : j + n] for j in range(len(toks) - n + 1)]
            )
            out.append([" ".join(s).encode("utf-8") for s in spans])
    else:
        for text in tokens.texts.to_pylist():
            spans = (
                [text] if 0 < len(text) < n else [text[j : j + n] for j in range(len(text) - n + 1)]
            )
            out.append([s.encode("utf-8") for s in spans])
    return out


def shingles(text: str, config: ShingleConfig, normalize: NormalizeConfig) -> list[bytes]:
    """The shingles of one text, as the vectorised path sees them."""
    return shingles_from_tokens(tokenize(pa.array([text]), normalize), config)[0]


def _token_hash(data: bytes) -> int:
    h = K0 ^ ((len(data) * K1) & M64)
    for start in range(0, len(data), 8):
        w = int.from_bytes(data[start : start + 8], "little")
        h = _fmix64_int(((h ^ w) * K2) & M64)
    return h


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * F1) & M64
    h ^= h >> 33
    h = (h * F2) & M64
    return h ^ (h >> 33)


def shingle_hash(shingle: bytes, config: ShingleConfig) -> int:
    """The 32-bit hash of one shingle: the ``hashfunc`` to give ``datasketch.MinHash``."""
    if config.hash_function == "sha1":
        return _sha1_32(shingle)
    if config.mode == "word":
        units = [_token_hash(t) for t in shingle.split(b" ")]
    else:
        units = [_fmix64_int((ord(c) * K2 + K0) & M64) for c in shingle.decode("utf-8")]
    h = units[0]
    for u in units[1:]:
        h = (((h << 31) | (h >> 33)) & M64) ^ u
        h = (h * K1) & M64
    return _fmix64_int(h) & 0xFFFFFFFF
