"""Golden-set metrics by hand, judge agreement, and a run with a real tiny judge model."""

from __future__ import annotations

import pytest

from evaluation.golden import exact_match, load_golden, normalize, rouge_l, token_f1
from evaluation.judge import LocalJudge, agreement
from tests.conftest import REPO


def test_text_metrics_by_hand():
    assert normalize("The  Ear!") == "ear"
    assert exact_match("the ear.", ["The ear"]) == 1.0
    assert exact_match("an eye", ["The ear", "Ucho"]) == 0.0
    assert token_f1("the middle ear", ["The ear"]) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert rouge_l("in the ear", "the ear") == pytest.approx(0.8)
    agree, kappa = agreement([True, False, True, False], [True, False, False, False])
    assert agree == 0.75
    assert kappa == pytest.approx((0.75 - 0.5) / 0.5)


def test_packaged_golden_set_is_well_formed():
    items = load_golden(REPO / "conf" / "eval" / "golden" / "trivia_facts.jsonl")
    assert len(items) == 24
    assert all(i.query.strip() and i.expected.strip() for i in items)


def test_local_judge_with_a_real_tiny_model(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evaluation.config import load_eval_config
    from evaluation.engine import PackedScorer

    cfg = load_eval_config(REPO / "conf" / "eval" / "eval.yaml")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    scorer = PackedScorer(model, AutoTokenizer.from_pretrained(tiny_model_dir), show_progress=False)
    judge = LocalJudge(cfg.judge, scorer)
    items = [("Who wrote Hamlet?", "Shakespeare", "Shakespeare"), ("2+2?", "4", "five")]
    first = judge.judge(items)
    assert [v.accept for v in first] == [v.accept for v in judge.judge(items)]
    # the verdict is the sign of log P(" yes") - log P(" no") after the judge prompt
    prompt = cfg.judge.prompt.format(
        query=items[0][0], expected=items[0][1], response=items[0][2], rubric=cfg.judge.rubric
    )
    (yes, _), (no, _) = scorer.score_pairs([(prompt, " yes"), (prompt, " no")])
    assert first[0].margin == pytest.approx(yes - no, abs=1e-5)
    assert first[0].accept == (yes > no)


def test_golden_run_scores_every_metric(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evaluation.config import load_eval_config
    from evaluation.engine import PackedScorer
    from evaluation.golden import score_golden

    cfg = load_eval_config(REPO / "conf" / "eval" / "eval.yaml")
    cfg.judge.model = str(tiny_model_dir)  # a real (tiny, random) judge model, no stub
    cfg.golden.max_new_tokens = 4
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    scorer = PackedScorer(model, AutoTokenizer.from_pretrained(tiny_model_dir), show_progress=False)
    metrics, n, records = score_golden(cfg, scorer, limit=3, artifacts_root=str(REPO / "artifacts"))
    assert n == 3 and len(records) == 3
    assert set(metrics) == {
        "exact_match", "token_f1", "rouge_l", "judge_accept", "judge_em_agreement",
        "judge_em_kappa",
    }  # fmt: skip
    em = [r["exact_match"] for r in records]
    judged = [r["judge_accept"] for r in records]
    assert metrics["judge_em_agreement"][0] == pytest.approx(
        sum((e == 1.0) == j for e, j in zip(em, judged, strict=True)) / 3
    )
    assert all(0.0 <= metrics[k][0] <= 1.0 for k in ("exact_match", "token_f1", "rouge_l"))
