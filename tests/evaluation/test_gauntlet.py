"""Centered accuracy, category means and composites, computed by hand."""

from __future__ import annotations

import math

import pytest

from evaluation.gauntlet import (
    CORE_COMPOSITE,
    GAUNTLET_COMPOSITE,
    TaskResult,
    centered,
    mean_stderr,
    summarize,
)


def _r(task, category, value, rb, stderr=0.0, core=False):
    return TaskResult(task, category, "acc", value, stderr, 100, rb, core=core)


def test_centered_and_mean_stderr():
    assert centered(0.625, 0.25) == pytest.approx(0.5)
    assert centered(0.25, 0.25) == 0.0
    assert centered(0.4, 0.5) == pytest.approx(-0.2)
    mean, se = mean_stderr([1.0, 0.0, 1.0, 0.0])
    assert mean == 0.5
    assert se == pytest.approx(math.sqrt((4 * 0.25 / 3) / 4))
    assert math.isnan(mean_stderr([])[0])


def test_categories_and_composites_by_hand():
    results = [
        _r("a", "world_knowledge", 0.625, 0.25, stderr=0.03, core=True),  # centered 0.5
        _r("b", "world_knowledge", 0.55, 0.1, stderr=0.09),  # centered 0.5
        _r("c", "commonsense_reasoning", 0.75, 0.5, core=True),  # 0.5
        _r("d", "language_understanding", 0.2, 0.0, core=True),  # 0.2
        _r("e", "reading_comprehension", 0.81, 0.62),  # 0.5
        _r("f", "programming", 0.9, 0.0, core=False),  # reported, not in the composite
    ]
    report = summarize(results)
    wk, wk_se = report.categories["world_knowledge"]
    assert wk == pytest.approx(0.5)
    assert wk_se == pytest.approx(math.sqrt((0.03 / 0.75) ** 2 + (0.09 / 0.9) ** 2) / 2)
    assert report.categories["programming"][0] == pytest.approx(0.9)
    gauntlet = report.composite(GAUNTLET_COMPOSITE)
    assert gauntlet.value == pytest.approx((0.5 + 0.5 + 0.2 + 0.5) / 4)
    assert "symbolic_problem_solving" in gauntlet.note  # named as missing
    assert "programming" not in gauntlet.parts
    core = report.composite(CORE_COMPOSITE)
    assert core.parts == ["a", "c", "d"]
    assert core.value == pytest.approx((0.5 + 0.5 + 0.2) / 3)
    assert "3 of DCLM's 22 CORE tasks" in core.note
