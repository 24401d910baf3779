"""Competency categories and composites over per-task accuracies.

Each task is centered on its random baseline ``rb``: ``(acc - rb) / (1 - rb)`` (0 = chance,
1 = perfect; negative below chance). Tasks weigh equally inside a category; two composites:

- ``gauntlet_v0.3``: the mean of the category means over the Mosaic Eval Gauntlet v0.3
  categories (world knowledge, commonsense reasoning, language understanding, symbolic problem
  solving, reading comprehension); programming is reported but not part of it, as in v0.3.
- ``dclm_core_subset``: DCLM-CORE-style, the mean centered accuracy over the tasks marked
  ``core`` (those of DCLM's 22 CORE tasks whose data installs offline here).

Standard errors treat tasks as independent: a mean of ``k`` values has
``sqrt(sum(se_i^2)) / k``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from evaluation.specs import GAUNTLET_V03_CATEGORIES

GAUNTLET_COMPOSITE = "gauntlet_v0.3"
CORE_COMPOSITE = "dclm_core_subset"


def mean_stderr(values: Sequence[float]) -> tuple[float, float]:
    """Mean and its standard error (sample standard deviation / sqrt(n)); (nan, nan) if empty."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = sum(values) / n
    if n == 1:
        return mean, 0.0
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var / n)


def centered(value: float, random_baseline: float) -> float:
    """``(value - rb) / (1 - rb)``."""
    return (value - random_baseline) / (1.0 - random_baseline)


def mean_of(values: Sequence[float], stderrs: Sequence[float]) -> tuple[float, float]:
    """Mean of independent estimates and its standard error."""
    k = len(values)
    if k == 0:
        return math.nan, math.nan
    return sum(values) / k, math.sqrt(sum(s * s for s in stderrs)) / k


@dataclass
class TaskResult:
    """A task's score: ``value`` of ``metric`` over ``n`` items, with its standard error."""

    task: str
    category: str
    metric: str
    value: float
    stderr: float
    n: int
    random_baseline: float
    core: bool = False
    icl_type: str = ""
    seconds: float = 0.0
    items: list[float] = field(default_factory=list, repr=False)
    item_keys: list[str] = field(default_factory=list, repr=False)

    @property
    def centered(self) -> float:
        return centered(self.value, self.random_baseline)

    @property
    def centered_stderr(self) -> float:
        return self.stderr / (1.0 - self.random_baseline)


@dataclass
class Composite:
    name: str
    value: float
    stderr: float
    parts: list[str]
    note: str


@dataclass
class GauntletReport:
    """Tasks, category means (centered) and the two composites."""

    tasks: list[TaskResult]
    categories: dict[str, tuple[float, float]]
    composites: list[Composite]

    def composite(self, name: str) -> Composite:
        return next(c for c in self.composites if c.name == name)


def summarize(
    results: Sequence[TaskResult],
    composite_categories: Sequence[str] = GAUNTLET_V03_CATEGORIES,
) -> GauntletReport:
    """Category means of centered accuracy and the gauntlet and CORE-style composites."""
    by_cat: dict[str, list[TaskResult]] = {}
    for r in results:
        by_cat.setdefault(r.category, []).append(r)
    categories = {
        cat: mean_of([r.centered for r in rs], [r.centered_stderr for r in rs])
        for cat, rs in by_cat.items()
    }
    present = [c for c in composite_categories if c in categories]
    missing = [c for c in composite_categories if c not in categories]
    g_value, g_err = mean_of(
        [categories[c][0] for c in present], [categories[c][1] for c in present]
    )
    g_note = (
        "mean of category means (each the mean of its tasks' centered accuracy "
        "(acc - rb)/(1 - rb), rb = the task's random baseline) over Mosaic Eval Gauntlet "
        "v0.3 categories"
    )
    if missing:
        g_note += f"; categories without tasks in this run: {', '.join(missing)}"
    core = [r for r in results if r.core]
    c_value, c_err = mean_of([r.centered for r in core], [r.centered_stderr for r in core])
    c_note = (
        f"DCLM-CORE-style: mean centered accuracy over {len(core)} of DCLM's 22 CORE tasks "
        "available offline (few-shot counts as in conf/eval, not DCLM's)"
    )
    return GauntletReport(
        tasks=list(results),
        categories=categories,
        composites=[
            Composite(GAUNTLET_COMPOSITE, g_value, g_err, present, g_note),
            Composite(CORE_COMPOSITE, c_value, c_err, [r.task for r in core], c_note),
        ],
    )
