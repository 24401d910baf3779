"""N-gram hashing: normalisation-invariant, position-independent, and mapped back to characters."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data_pipeline.decontam.ngrams import NgramHasher, chunk_spans, ngram_text, tokenize
from data_pipeline.dedup.normalize import NormalizeConfig

CFG = NormalizeConfig()


def _all(text: str, length: int) -> set[tuple[int, int]]:
    tokens = tokenize(pa.array([text]), CFG)
    hasher = NgramHasher(tokens)
    starts = hasher.starts(length)
    h, c = hasher.hashes(starts, length), hasher.checks(starts, length)
    return set(zip(h.tolist(), c.tolist(), strict=True))


def test_same_words_hash_the_same_anywhere_and_after_normalisation():
    a = "the quick brown fox jumps over the lazy dog"
    b = "Intro words here. THE  Quick, brown\nfox jumps -- over the lazy dog! tail"
    assert _all(a, 9) <= _all(b, 9)
    assert not (_all(a, 9) & _all("the quick brown fox jumps over the lazy cat", 9))


def test_ngrams_never_cross_documents():
    tokens = tokenize(pa.array(["one two three", "four five six"]), CFG)
    hasher = NgramHasher(tokens)
    starts = hasher.starts(3)
    assert starts.tolist() == [0, 3]
    assert ngram_text(tokens, 3, 3) == "four five six"


def test_tokens_map_to_their_chunks_and_character_spans():
    text = "Alpha,beta  gamma\n\tdelta 42"
    assert tokenize(pa.array([text]), CFG).chunk_in_doc is None
    tokens = tokenize(pa.array([text]), CFG, chunks=True)
    assert tokens.strings.to_pylist() == ["alpha", "beta", "gamma", "delta", "0"]
    assert tokens.chunk_in_doc.tolist() == [0, 0, 1, 2, 3]
    spans = chunk_spans(text)
    assert len(spans) == tokens.chunk_counts[0]
    assert text[spans[2][0] : spans[2][1]] == "delta"


def test_lengths_differ_in_hash():
    tokens = tokenize(pa.array(["a b c d e f"]), CFG)
    hasher = NgramHasher(tokens)
    h3 = hasher.hashes(np.array([0]), 3)
    h4 = hasher.hashes(np.array([0]), 4)
    assert h3[0] != h4[0]
