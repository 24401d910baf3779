"""Shingles, signatures, band keys, banding and Jaccard without Spark, on real Wikipedia text."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash

from data_pipeline.dedup.banding import candidate_probability, choose_banding
from data_pipeline.dedup.candidates import jaccard_batch
from data_pipeline.dedup.minhash import EMPTY, band_keys, signatures
from data_pipeline.dedup.normalize import NormalizeConfig, tokenize
from data_pipeline.dedup.shingles import (
    ShingleConfig,
    batch_shingle_hashes,
    shingle_hash,
    shingles,
)
from tests.corpus import texts

NORM = NormalizeConfig()


@pytest.fixture(scope="module")
def sample() -> list[str]:
    docs = [r["text"] for r in texts(40)]
    return [*docs, "", "   ", "Two words.", "Ünïcödé ＡＢＣ 123 and 4567, ok!"]


@pytest.mark.parametrize(
    "config",
    [
        ShingleConfig(),
        ShingleConfig(hash_function="sha1"),
        ShingleConfig(mode="char", n=6),
        ShingleConfig(n=1),
    ],
    ids=["word5-fast", "word5-sha1", "char6-fast", "word1-fast"],
)
def test_signatures_equal_datasketch(sample, config):
    _, hashes, offsets = batch_shingle_hashes(pa.array(sample), config, NORM)
    sig = signatures(hashes, offsets, 64, seed=7)
    for i, text in enumerate(sample):
        grams = shingles(text, config, NORM)
        assert [shingle_hash(g, config) for g in grams] == hashes[
            offsets[i] : offsets[i + 1]
        ].tolist()
        reference = MinHash(num_perm=64, seed=7, hashfunc=lambda b: shingle_hash(b, config))
        reference.update_batch(grams)
        assert np.array_equal(reference.hashvalues, sig[i]), (config, i)
        if config.hash_function == "sha1":  # datasketch's own default hash, bit for bit
            default = MinHash(num_perm=64, seed=7)
            default.update_batch(grams)
            assert np.array_equal(default.hashvalues, sig[i])


def test_shingles_normalise_and_handle_short_and_empty_docs():
    config = ShingleConfig(n=3)
    assert shingles("Hello,   WORLD! It's 2024.", config, NORM) == [
        b"hello world it",
        b"world it s",
        b"it s 0",
    ]
    assert shingles("Just two", config, NORM) == [b"just two"]
    assert shingles(" \n ", config, NORM) == []
    tokens = tokenize(pa.array(["Ａ  b", None, "x"]), NORM)
    assert tokens.texts.to_pylist() == ["a b", "", "x"]
    assert tokens.offsets.tolist() == [0, 2, 2, 3]
    _, hashes, offsets = batch_shingle_hashes(pa.array(["", "a b c d e f"]), ShingleConfig(), NORM)
    sig = signatures(hashes, offsets, 16, seed=1)
    assert (sig[0] == EMPTY).all() and not (sig[1] == EMPTY).all()


def test_band_keys_match_exactly_when_band_values_match():
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, size=(3, 12), dtype=np.uint64).astype(np.uint32)
    sig[1, 4:8] = sig[0, 4:8]  # same band 1 (rows 4..7) only
    keys = band_keys(sig, bands=3, rows=4)
    assert keys.dtype == np.int64 and keys.shape == (3, 3)
    assert keys[0, 1] == keys[1, 1]
    assert keys[0, 0] != keys[1, 0] and keys[0, 2] != keys[1, 2]
    assert len(set(keys[:, 0])) == 3
    with pytest.raises(ValueError, match="exceeds num_perm"):
        band_keys(sig, bands=4, rows=4)


def test_banding_meets_the_candidate_probability_and_reports_the_curve():
    band = choose_banding(0.8, 91, 0.2, 0.8, 0.95)
    assert (band.bands, band.rows) == (13, 7)
    assert candidate_probability(0.8, band.bands, band.rows) >= 0.95
    info = band.as_dict()
    assert info["p_candidate_at_threshold"] >= 0.95 and 0 < info["fp_area"] < 0.5
    curve = dict((s, p) for s, p in info["s_curve"])
    assert curve[0.5] < 0.1 < curve[0.9] and curve[1.0] == 1.0
    fixed = choose_banding(0.8, 112, bands=14, rows=8)
    assert (fixed.bands, fixed.rows, fixed.chosen_by) == (14, 8, "configured")
    with pytest.raises(ValueError, match="exceeds num_perm"):
        choose_banding(0.8, 64, bands=14, rows=8)


def test_jaccard_batch_equals_python_sets(sample):
    config = ShingleConfig()
    a = pa.array(sample[:20], pa.large_string())
    b = pa.array(sample[1:21], pa.large_string())
    got = jaccard_batch(a, b, config, NORM)
    for i in range(20):
        x = {shingle_hash(s, config) for s in shingles(sample[i], config, NORM)}
        y = {shingle_hash(s, config) for s in shingles(sample[i + 1], config, NORM)}
        expected = len(x & y) / len(x | y) if x | y else 1.0
        assert got[i] == pytest.approx(expected)
    same = jaccard_batch(a[:3], a[:3], config, NORM)
    assert same.tolist() == [1.0, 1.0, 1.0]
