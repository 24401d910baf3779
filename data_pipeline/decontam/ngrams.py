"""Word n-grams of texts as 64-bit hash pairs, vectorised over a batch (numpy + Arrow).

Texts are normalised as the dedup stage normalises (``dedup.normalize``: NFKC, lower case,
punctuation and symbols to spaces, digit runs to ``0``) and split at whitespace into *tokens*.
For the few documents with a match, ``tokenize(..., chunks=True)`` normalises each
whitespace-separated *chunk* on its own, so every token remembers its chunk and a match maps
back to character offsets in the original text (``chunk_spans``).

An n-gram of ``L`` tokens hashes to two independent 64-bit polynomial hashes of the tokens'
64-bit hashes (``dedup.shingles.token_hashes``); both must agree for a match, so a false match
needs a 128-bit collision. Any length is computed in one pass from prefix sums, which is how
short items (fewer than ``n`` words) are matched with their own length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_pipeline.dedup.normalize import NormalizeConfig, normalize
from data_pipeline.dedup.shingles import _fmix64, token_hashes

_U = np.uint64
M64 = 1 << 64
BASES = (0x100000001B3, 0x9E3779B97F4A7C15 | 1)  # odd, hence invertible mod 2^64
INVERSES = tuple(pow(b, -1, M64) for b in BASES)
_CHUNK = re.compile(r"\S+")


@dataclass
class Tokens:
    """Tokens of a batch: strings, hashes and per-document offsets; with ``chunks``, also each
    token's chunk (index within its document) and the number of chunks per document."""

    strings: pa.Array
    hashes: np.ndarray
    doc_offsets: np.ndarray
    chunk_in_doc: np.ndarray | None = None
    chunk_counts: np.ndarray | None = None

    @property
    def num_docs(self) -> int:
        return len(self.doc_offsets) - 1


def _split(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Non-empty whitespace-separated pieces of each text and the index of their text."""
    lists = pc.utf8_split_whitespace(texts)
    owner = pc.list_parent_indices(lists).to_numpy()
    flat = lists.flatten()
    keep = pc.greater(pc.binary_length(flat), 0)
    return flat.filter(keep), owner[keep.to_numpy(zero_copy_only=False)]


def _offsets(owner: np.ndarray, n: int) -> np.ndarray:
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=offsets[1:])
    return offsets


def tokenize(texts: pa.Array, config: NormalizeConfig, chunks: bool = False) -> Tokens:
    """Normalise and tokenise ``texts`` (nulls are empty).

    ``chunks=False`` normalises whole texts (the fast path); ``chunks=True`` normalises each
    whitespace-separated chunk on its own and records the chunk of every token. Both give the
    same tokens, except for rare NFKC compositions across whitespace.
    """
    raw = pc.fill_null(texts.cast(pa.large_string()), "")
    if not chunks:
        flat, tok_doc = _split(normalize(raw, config))
        return Tokens(flat, token_hashes(flat), _offsets(tok_doc, len(texts)))
    pieces, chunk_doc = _split(raw)
    chunk_start = _offsets(chunk_doc, len(texts))
    flat, tok_chunk = _split(normalize(pieces, config))
    tok_doc = chunk_doc[tok_chunk]
    return Tokens(
        strings=flat,
        hashes=token_hashes(flat),
        doc_offsets=_offsets(tok_doc, len(texts)),
        chunk_in_doc=(tok_chunk - chunk_start[tok_doc]).astype(np.int64),
        chunk_counts=np.diff(chunk_start),
    )


def _prefix(hashes: np.ndarray, base: int, inverse: int) -> tuple[np.ndarray, np.ndarray]:
    """(G, powers): G[j] = sum_{k<j} t[k] * base^-k and powers[k] = base^k, mod 2^64."""
    n = len(hashes)
    with np.errstate(over="ignore"):
        powers = np.empty(n + 1, dtype=np.uint64)
        powers[0] = 1
        powers[1:] = np.cumprod(np.full(n, base, dtype=np.uint64))
        inv = np.empty(n, dtype=np.uint64)
        if n:
            inv[0] = 1
            inv[1:] = np.cumprod(np.full(n - 1, inverse, dtype=np.uint64))
        g = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(hashes * inv, out=g[1:])
    return g, powers


class NgramHasher:
    """All n-grams of given lengths over one ``Tokens``: start positions and the two hashes
    (the second, ``checks``, is computed only for the positions asked)."""

    def __init__(self, tokens: Tokens):
        self.tokens = tokens
        self._prefixes: list[tuple[np.ndarray, np.ndarray] | None] = [None, None]
        counts = np.diff(tokens.doc_offsets)
        self._end = np.repeat(tokens.doc_offsets[1:], counts)  # end of each token's document

    def starts(self, length: int) -> np.ndarray:
        """Token positions where an n-gram of ``length`` tokens fits inside its document."""
        index = np.arange(len(self._end), dtype=np.int64)
        return index[index + length <= self._end]

    def _hash(self, which: int, starts: np.ndarray, length: int) -> np.ndarray:
        prefix = self._prefixes[which]
        if prefix is None:
            prefix = _prefix(self.tokens.hashes, BASES[which], INVERSES[which])
            self._prefixes[which] = prefix
        g, powers = prefix
        with np.errstate(over="ignore"):
            h = (g[starts + length] - g[starts]) * powers[starts + length - 1]
            return _fmix64(h + _U(length) * _U(0xC2B2AE3D27D4EB4F))

    def hashes(self, starts: np.ndarray, length: int) -> np.ndarray:
        """The primary 64-bit hash of the n-grams of ``length`` tokens at ``starts``."""
        return self._hash(0, starts, length)

    def checks(self, starts: np.ndarray, length: int) -> np.ndarray:
        """The second, independent 64-bit hash of the same n-grams."""
        return self._hash(1, starts, length)


def chunk_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the whitespace-separated chunks of ``text`` (``tokenize``'s chunks)."""
    return [m.span() for m in _CHUNK.finditer(text)]


def ngram_text(tokens: Tokens, start: int, length: int) -> str:
    """The normalised words of one n-gram, joined by spaces."""
    return " ".join(tokens.strings[start : start + length].to_pylist())
