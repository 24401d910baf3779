"""SFT golden sets: query / expected-response pairs scored by exact match, token F1, ROUGE-L
and an LLM judge, with the judge's agreement with exact match.

A golden set is a JSONL file; each line has ``query`` and ``expected`` (and optionally
``aliases``: other acceptable answers, and ``source``). Answers are generated greedily with the
model's chat template. Exact match and token F1 use SQuAD normalisation (lower case, no
punctuation or articles, single spaces) and the best over ``expected`` and ``aliases``;
ROUGE-L is the F-measure of ``rouge_score`` against ``expected``.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from evaluation.config import EvalConfig, GoldenConfig
from evaluation.engine import PackedScorer
from evaluation.gauntlet import mean_stderr
from evaluation.judge import ApiJudge, LocalJudge, agreement
from evaluation.results import ResultRow


@dataclass
class GoldenItem:
    query: str
    expected: str
    aliases: list[str]


def load_golden(path: str | Path, limit: int | None = None) -> list[GoldenItem]:
    items = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            items.append(GoldenItem(row["query"], row["expected"], list(row.get("aliases", []))))
    return items[:limit] if limit else items


def normalize(text: str) -> str:
    text = "".join(c for c in text.lower() if c not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(response: str, answers: list[str]) -> float:
    return float(any(normalize(response) == normalize(a) for a in answers))


def token_f1(response: str, answers: list[str]) -> float:
    best = 0.0
    pred = normalize(response).split()
    for answer in answers:
        gold = normalize(answer).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if not pred or not gold or common == 0:
            best = max(best, float(pred == gold))
            continue
        p, r = common / len(pred), common / len(gold)
        best = max(best, 2 * p * r / (p + r))
    return best


def rouge_l(response: str, expected: str) -> float:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"]).score(expected, response)["rougeL"].fmeasure


def answer(scorer: PackedScorer, cfg: GoldenConfig, queries: list[str]) -> list[str]:
    """Greedy chat answers (first line, special tokens removed)."""
    tok = scorer.tokenizer
    prompts = []
    for query in queries:
        messages = [{"role": "system", "content": cfg.system_prompt}] if cfg.system_prompt else []
        messages.append({"role": "user", "content": query})
        if getattr(tok, "chat_template", None):
            prompts.append(tok.apply_chat_template(messages, tokenize=False,
                                                   add_generation_prompt=True))  # fmt: skip
        else:
            prompts.append(f"Question: {query}\nAnswer:")
    stops = [["\n", "<|im_end|>"]] * len(prompts)
    return [a.strip() for a in scorer.generate(prompts, stops, max_gen_toks=cfg.max_new_tokens)]


def make_judge(cfg: EvalConfig, scorer: PackedScorer, artifacts_root: str):
    judge = cfg.judge
    if judge is None:
        return None
    if judge.kind == "openai":
        return ApiJudge(judge)
    from evaluation.models import load_model
    from training.base_model import resolve_model_source

    model, tok = load_model(resolve_model_source(judge.model, artifacts_root))
    return LocalJudge(judge, PackedScorer(model, tok, show_progress=False))


def _golden(cfg: EvalConfig) -> GoldenConfig:
    if cfg.golden is None:
        raise ValueError(f"{cfg.origin}: the golden evaluation needs a `golden:` section")
    return cfg.golden


def score_golden(
    cfg: EvalConfig, scorer: PackedScorer, limit: int | None, artifacts_root: str
) -> tuple[dict[str, tuple[float, float]], int, list[dict]]:
    """Metric -> (mean, stderr), item count, and per-item records (query, response, scores)."""
    golden = _golden(cfg)
    items = load_golden(golden.path, limit)
    responses = answer(scorer, golden, [i.query for i in items])
    per: dict[str, list[float]] = {"exact_match": [], "token_f1": [], "rouge_l": []}
    for item, resp in zip(items, responses, strict=True):
        answers = [item.expected, *item.aliases]
        per["exact_match"].append(exact_match(resp, answers))
        per["token_f1"].append(token_f1(resp, answers))
        per["rouge_l"].append(rouge_l(resp, item.expected))
    records = [
        {"query": i.query, "expected": i.expected, "response": r, "exact_match": em}
        for i, r, em in zip(items, responses, per["exact_match"], strict=True)
    ]
    metrics = {k: mean_stderr(v) for k, v in per.items()}
    judge = make_judge(cfg, scorer, artifacts_root)
    if judge is not None:
        triples = [(i.query, i.expected, r) for i, r in zip(items, responses, strict=True)]
        verdicts = judge.judge(triples)
        accepts = [float(v.accept) for v in verdicts]
        metrics["judge_accept"] = mean_stderr(accepts)
        em = [e == 1.0 for e in per["exact_match"]]
        agree, kappa = agreement([v.accept for v in verdicts], em)
        metrics["judge_em_agreement"] = (agree, float("nan"))
        metrics["judge_em_kappa"] = (kappa, float("nan"))
        for record, verdict in zip(records, verdicts, strict=True):
            record["judge_accept"] = verdict.accept
    return metrics, len(items), records


def golden_rows(
    cfg: EvalConfig, model: str, scorer: PackedScorer, limit: int | None, artifacts_root: str
) -> list[ResultRow]:
    metrics, n, _ = score_golden(cfg, scorer, limit, artifacts_root)
    task = f"golden/{Path(_golden(cfg).path).stem}"
    return [ResultRow(model, task, k, v, n, se, "golden") for k, (v, se) in metrics.items()]
