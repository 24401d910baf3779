"""Word n-grams of texts as 64-bit hash pairs, vectorised over a batch (numpy + Arrow).

Texts are split at whitespace into *chunks* first; each chunk is normalised as the dedup stage
normalises (``dedup.normalize``: NFKC, lower case, punctuation and symbols to spaces, digit
runs to ``0``) and split again into *tokens*. Every token remembers its chunk, so a match maps
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
    """Tokens of a batch: hashes, owning document and chunk (index within its document)."""

    strings: pa.Array
    hashes: np.ndarray
    doc_offsets: np.ndarray
    chunk_in_doc: np.ndarray
    chunk_counts: np.ndarray

    @property
    def num_docs(self) -> int:
        return len(self.doc_offsets) - 1


def tokenize(texts: pa.Array, config: NormalizeConfig) -> Tokens:
    """Chunk, normalise and tokenise ``texts`` (nulls are empty)."""
    raw = pc.fill_null(texts.cast(pa.large_string()), "")
    chunk_lists = pc.utf8_split_whitespace(raw)
    chunk_doc = pc.list_parent_indices(chunk_lists).to_numpy()
    chunks = chunk_lists.flatten()
    keep = pc.greater(pc.binary_length(chunks), 0).to_numpy(zero_copy_only=False)
    chunks, chunk_doc = chunks.filter(pa.array(keep)), chunk_doc[keep]
    chunk_counts = np.bincount(chunk_doc, minlength=len(texts)).astype(np.int64)
    chunk_start = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(chunk_counts, out=chunk_start[1:])
    tok_lists = pc.utf8_split_whitespace(normalize(chunks, config))
    tok_chunk = pc.list_parent_indices(tok_lists).to_numpy()
    flat = tok_lists.flatten()
    keep = pc.greater(pc.binary_length(flat), 0).to_numpy(zero_copy_only=False)
    flat, tok_chunk = flat.filter(pa.array(keep)), tok_chunk[keep]
    tok_doc = chunk_doc[tok_chunk]
    doc_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(tok_doc, minlength=len(texts)), out=doc_offsets[1:])
    return Tokens(
        strings=flat,
        hashes=token_hashes(flat),
        doc_offsets=doc_offsets,
        chunk_in_doc=(tok_chunk - chunk_start[tok_doc]).astype(np.int64),
        chunk_counts=chunk_counts,
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
    """All n-grams of given lengths over one ``Tokens``: start positions and hash pairs."""

    def __init__(self, tokens: Tokens):
        self.tokens = tokens
        self._prefixes = [
            _prefix(tokens.hashes, b, i) for b, i in zip(BASES, INVERSES, strict=True)
        ]
        counts = np.diff(tokens.doc_offsets)
        self._end = np.repeat(tokens.doc_offsets[1:], counts)  # end of each token's document

    def starts(self, length: int) -> np.ndarray:
        """Token positions where an n-gram of ``length`` tokens fits inside its document."""
        index = np.arange(len(self._end), dtype=np.int64)
        return index[index + length <= self._end]

    def hashes(self, starts: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
        """The two 64-bit hashes of the n-grams of ``length`` tokens starting at ``starts``."""
        out = []
        with np.errstate(over="ignore"):
            for g, powers in self._prefixes:
                h = (g[starts + length] - g[starts]) * powers[starts + length - 1]
                out.append(_fmix64(h + _U(length) * _U(0xC2B2AE3D27D4EB4F)))
        return out[0], out[1]


def chunk_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the whitespace-separated chunks of ``text`` (``tokenize``'s chunks)."""
    return [m.span() for m in _CHUNK.finditer(text)]


def ngram_text(tokens: Tokens, start: int, length: int) -> str:
    """The normalised words of one n-gram, joined by spaces."""
    return " ".join(tokens.strings[start : start + length].to_pylist())
