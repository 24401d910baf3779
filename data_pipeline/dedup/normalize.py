"""Text normalisation and tokenisation for deduplication, vectorised with Arrow compute.

The same normalisation feeds the exact hash and the MinHash shingles, so two documents that
are exact duplicates after normalisation always have Jaccard similarity 1.

Defaults: Unicode NFKC, lower case, punctuation and symbols to spaces, digit runs to ``0``,
whitespace collapsed. Tokens are the whitespace-separated words of the normalised text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_pipeline.lakehouse.config import StrictModel


class NormalizeConfig(StrictModel):
    """Which normalisations apply before hashing and shingling (all on by default)."""

    nfkc: bool = True
    lowercase: bool = True
    punctuation: bool = True
    digits: bool = True
    whitespace: bool = True


@dataclass
class Tokens:
    """Tokens of a batch of documents: a flat string array and per-document offsets.

    Document ``i`` owns ``flat[offsets[i]:offsets[i + 1]]``; ``texts`` is the normalised text
    (tokens joined by single spaces, or the normalised text as is when ``whitespace`` is off).
    """

    flat: pa.Array
    offsets: np.ndarray
    texts: pa.Array

    @property
    def num_docs(self) -> int:
        return len(self.offsets) - 1


def normalize(texts: pa.Array, config: NormalizeConfig) -> pa.Array:
    """Normalised texts (nulls become empty strings)."""
    out = pc.fill_null(texts.cast(pa.large_string()), "")
    if config.nfkc:
        out = pc.utf8_normalize(out, "NFKC")
    if config.lowercase:
        out = pc.utf8_lower(out)
    if config.punctuation:
        out = pc.replace_substring_regex(out, r"[\p{P}\p{S}]+", " ")
    if config.digits:
        out = pc.replace_substring_regex(out, r"\d+", "0")
    return out


def tokenize(texts: pa.Array, config: NormalizeConfig) -> Tokens:
    """Normalise ``texts`` and split them into non-empty whitespace-separated tokens."""
    norm = normalize(texts, config)
    lists = pc.utf8_split_whitespace(norm)
    flat = lists.flatten()
    parents = pc.list_parent_indices(lists).to_numpy()
    keep = pc.greater(pc.binary_length(flat), 0)
    flat = flat.filter(keep)
    parents = parents[keep.to_numpy(zero_copy_only=False)]
    counts = np.bincount(parents, minlength=len(texts)) if len(parents) else np.zeros(len(texts))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if config.whitespace:
        rebuilt = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), flat)
        norm = pc.binary_join(rebuilt, pa.scalar(" ", pa.large_string()))
    return Tokens(flat=flat, offsets=offsets, texts=norm)


def text_hashes(normalised: pa.Array) -> list[str]:
    """BLAKE2b-128 (hex) of each normalised text: the exact-duplicate key."""
    return [
        hashlib.blake2b(t.encode("utf-8"), digest_size=16).hexdigest()
        for t in normalised.to_pylist()
    ]
