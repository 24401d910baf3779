"""The two-level (seeds, items) bootstrap: intervals, ratios, pairing and distinguishability."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.bootstrap import Bootstrap, mean_stat, ratio_stat


def test_interval_covers_the_mean_and_narrows_with_more_items():
    rng = np.random.default_rng(1)
    boot = Bootstrap(samples=500, seed=3)
    small = boot.estimate([rng.binomial(1, 0.6, (40, 1))], mean_stat)
    large = boot.estimate([rng.binomial(1, 0.6, (4000, 1))], mean_stat)
    assert small.low <= small.value <= small.high
    assert large.low < 0.6 < large.high
    assert (large.high - large.low) < (small.high - small.low) / 5


def test_point_is_the_mean_over_seeds_and_seed_spread_widens_the_interval():
    boot = Bootstrap(samples=400, seed=0)
    items = np.full((50, 1), 0.5)
    same = boot.estimate([items, items], mean_stat)
    apart = boot.estimate([items - 0.2, items + 0.2], mean_stat)
    assert same.value == pytest.approx(0.5) and same.low == same.high == pytest.approx(0.5)
    assert apart.value == pytest.approx(0.5)
    assert apart.low == pytest.approx(0.3) and apart.high == pytest.approx(0.7)


def test_ratio_stat_is_bits_over_bytes():
    docs = np.array([[10.0, 5.0], [30.0, 15.0], [4.0, 2.0]])
    assert ratio_stat(docs) == pytest.approx(44.0 / 22.0)
    est = Bootstrap(samples=100).estimate([docs], ratio_stat)
    assert est.value == pytest.approx(2.0) and est.low == pytest.approx(2.0)


def test_item_draws_are_shared_so_comparisons_are_paired():
    boot = Bootstrap(samples=200, seed=5)
    assert boot.item_draws(30) is boot.item_draws(30)
    rng = np.random.default_rng(2)
    hard = rng.uniform(0, 1, (30, 1))
    a = boot.estimate([hard], mean_stat)
    b = boot.estimate([hard + 0.01], mean_stat)  # the same items, a little better each
    assert a.overlaps(b)  # the separate intervals overlap ...
    assert boot.distinguishable(b, a)  # ... but the paired difference excludes 0
    assert not boot.distinguishable(a, boot.estimate([hard], mean_stat))


def test_combine_weights_replicates_and_adds_a_constant():
    boot = Bootstrap(samples=100, seed=1)
    a = boot.estimate([np.ones((10, 1))], mean_stat)
    b = boot.estimate([np.full((10, 1), 3.0)], mean_stat)
    c = boot.combine([(2.0, a), (-1.0, b)], constant=0.5)
    assert c.value == pytest.approx(-0.5) and c.low == pytest.approx(-0.5)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="samples"):
        Bootstrap(samples=5)
    with pytest.raises(ValueError, match="no items"):
        Bootstrap(samples=20).estimate([np.zeros((0, 1))], mean_stat)
