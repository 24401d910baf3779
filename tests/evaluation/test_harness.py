"""Gauntlet tasks on a tiny model: every ICL type, deterministic, backends agree item by item."""

from __future__ import annotations

import pytest

from evaluation.backend import make_backend
from evaluation.data import EVAL_SPLIT, FEWSHOT_SPLIT, load_task_data
from evaluation.harness import build_tasks, evaluate_task, item_scores
from evaluation.specs import load_gauntlet
from tests.conftest import REPO

GAUNTLET = REPO / "conf" / "eval" / "gauntlet.yaml"


@pytest.fixture(scope="module")
def gauntlet():
    return load_gauntlet(GAUNTLET)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    return model, AutoTokenizer.from_pretrained(tiny_model_dir)


def test_every_task_finds_its_data_and_prompt_format(gauntlet):
    from evaluation.data import data_location
    from evaluation.harness import HARNESS_TASKS

    assert len(gauntlet.tasks) >= 20
    cats = {t.category for t in gauntlet.tasks}
    assert set(gauntlet.composite_categories) <= cats
    assert sum(t.core for t in gauntlet.tasks) == 13
    for spec in gauntlet.tasks:
        assert data_location(spec.data).exists(), spec.name
        if spec.harness and "{subset}" not in spec.harness:
            assert (HARNESS_TASKS / spec.harness).is_file(), spec.name


def test_item_caps_and_limits_spread_over_subsets(gauntlet):
    from evaluation.harness import item_cap, split_limit

    assert split_limit(10, 4) == [3, 3, 2, 2]
    assert split_limit(3, 57)[:4] == [1, 1, 1, 0] and sum(split_limit(3, 57)) == 3
    assert split_limit(None, 2) == [None, None]
    arc = gauntlet.select(["arc_easy"])[0]  # max_items 500
    copa = gauntlet.select(["copa"])[0]  # no cap
    assert item_cap(arc) == 500 and item_cap(arc, 100) == 100 and item_cap(arc, 900) == 500
    assert item_cap(copa) is None and item_cap(copa, 7) == 7
    mmlu = gauntlet.select(["mmlu"])[0]
    assert len(build_tasks(mmlu, 2)) == 2  # subjects with no item are not built


def test_fewshot_pool_is_disjoint_from_evaluated_items(gauntlet):
    spec = next(t for t in gauntlet.tasks if t.name == "gsm8k")
    data = load_task_data(spec.data, limit=4, fewshot_pool=spec.fewshot_pool)
    assert len(data[EVAL_SPLIT]) == 4
    assert len(data[FEWSHOT_SPLIT]) == spec.fewshot_pool
    evaluated = {r["question"] for r in data[EVAL_SPLIT]}
    assert evaluated.isdisjoint({r["question"] for r in data[FEWSHOT_SPLIT]})


@pytest.mark.parametrize(
    "name",
    ["hellaswag", "winogrande", "commonsense_qa", "lambada", "triviaqa", "mmlu"],
)
def test_tiny_model_scores_each_icl_type_deterministically(gauntlet, tiny, name):
    model, tok = tiny
    spec = gauntlet.select([name])[0]
    lm = make_backend(model, tok, show_progress=False)
    first = evaluate_task(spec, lm, limit=3)
    again = evaluate_task(spec, lm, limit=3)
    assert first.items == again.items
    assert first.n == 3  # MMLU: one item from each of its first three subjects
    assert 0.0 <= first.value <= 1.0
    assert all(v in (0.0, 1.0) for v in first.items)


def test_packed_and_harness_backends_agree_item_by_item(gauntlet, tiny):
    model, tok = tiny
    for name in ("arc_easy", "lambada", "piqa"):
        spec = gauntlet.select([name])[0]
        ours = item_scores(build_tasks(spec, 4), make_backend(model, tok, show_progress=False))
        ref = item_scores(build_tasks(spec, 4), make_backend(model, tok, kind="harness"))
        assert [s[spec.metric] for s in ours] == [s[spec.metric] for s in ref], name
        some = item_scores(build_tasks(spec, 4), make_backend(model, tok), samples=[1, 3])
        assert some == [ours[1], ours[3]], name  # lm-eval's `samples`: chosen items only
