"""The verdict of an ablation from per-item scores: figures, composite formula, ranking, text."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from evaluation.ablation import variant_figures, verdict
from evaluation.ablation_results import result_rows, verdict_text
from evaluation.bootstrap import Bootstrap


def _seed(loss: float, acc: list[float], bits: list[float]) -> dict:
    docs = [[b, 10.0] for b in bits]  # every document 10 bytes
    return {
        "train_loss": loss,
        "model": f"artifact:model/m{loss}@1",
        "scores": {
            "tasks": {"copa": {"items": acc, "random_baseline": 0.5}},
            "domains": {"source=a": docs, "source=b": docs},
        },
    }


def _cfg(tasks: float = 1.0, bpb: float = 1.0):
    return SimpleNamespace(eval=SimpleNamespace(composite=SimpleNamespace(tasks=tasks, bpb=bpb)))


def test_figures_and_the_documented_composite():
    boot = Bootstrap(samples=200, seed=0)
    seeds = [_seed(5.0, [1, 1, 0, 0], [20, 20, 20]), _seed(7.0, [1, 1, 1, 0], [30, 30, 30])]
    f = variant_figures("v", seeds, boot, 1.0, 0.5).figures
    assert f["train_loss"].value == pytest.approx(6.0)
    assert (f["train_loss"].low, f["train_loss"].high) == pytest.approx((5.0, 7.0))
    assert f["task/copa"].value == pytest.approx(0.625)
    assert f["bpb/source=a"].value == pytest.approx(2.5)  # mean over seeds of 2.0 and 3.0
    centered = (0.625 - 0.5) / (1 - 0.5)
    assert f["composite"].value == pytest.approx(1.0 * centered - 0.5 * 2.5)
    assert f["composite"].low <= f["composite"].value <= f["composite"].high


def test_ranking_and_distinguishability_are_stated():
    boot = Bootstrap(samples=300, seed=1)
    rng = np.random.default_rng(0)
    bits = list(rng.uniform(18, 22, 30))
    good = [_seed(5.0, [1, 0] * 10, [b - 5 for b in bits])]
    same = [_seed(5.0, [1, 0] * 10, [b - 5 for b in bits])]
    bad = [_seed(6.0, [1, 0] * 10, bits)]
    ranked = verdict({"bad": bad, "good": good, "same": same}, boot, _cfg())
    assert [r.variant for r in ranked][2] == "bad" and ranked[0].rank == 1
    assert ranked[2].distinct_from_best is True
    assert ranked[1].distinct_from_best is False
    data = {n: {"docs": 10, "tokens": 100, "status": "scored"} for n in ("bad", "good", "same")}
    text = verdict_text(ranked, data, 0.95)
    assert "NOT distinguishable" in text and "better than #3 bad" in text
    assert "bpb/source=a (lower better)" in text and "documents kept" in text
    data["late"] = {"status": "refused", "error": "variant 'late': too few tokens"}
    rows = result_rows("abl", "r1", ranked, data, "ablation_heldout@0", 1)
    assert len(rows) == 3 * 5 + 1  # train_loss, task, 2 domains, composite per variant; status
    assert rows[-1][2:6] == ("late", "refused", None, "status")
