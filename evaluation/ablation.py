"""Scoring ablation proxies and the verdict: figures with intervals, ranking, distinguishability.

``score_proxy`` keeps what the bootstrap needs: each task's per-item scores and, per held-out
domain, each document's (bits, UTF-8 bytes). ``verdict`` turns the scores of every seed of
every variant into figures (``evaluation.bootstrap``: seeds and items resampled):

- ``train_loss`` (mean of the last quarter of batch losses; seeds only);
- ``task/<name>``: the task's metric (accuracy) over its first ``limit`` items;
- ``bpb/<domain>``: bits per byte over the held-out documents of that domain (lower is better);
- ``composite = w_tasks x mean centered accuracy - w_bpb x mean bpb`` (``CompositeSpec``).

Variants are ranked by composite; one is *not distinguishable* from the best when the
interval of their composite difference (paired over items) contains 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evaluation.bootstrap import Bootstrap, Estimate, mean_stat, ratio_stat


def score_proxy(
    model_ref: str, lakehouse, artifacts_root: str, eval_cfg, specs: list, limit: int, docs: list
) -> dict[str, Any]:
    """Per-item task scores and per-document bits and bytes of one proxy model."""
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry
    from evaluation.backend import make_backend
    from evaluation.engine import PackedScorer
    from evaluation.harness import evaluate_task
    from evaluation.models import load_model, resolve_model

    model = resolve_model(model_ref, artifacts_root, ArtifactRegistry(lakehouse))
    hf_model, tokenizer = load_model(model.path, eval_cfg.engine.dtype, eval_cfg.engine.threads)
    engine = eval_cfg.engine
    lm = make_backend(hf_model, tokenizer, engine.kind, engine.batch_tokens, engine.batch_size,
                      show_progress=False, max_gen_toks=engine.max_gen_toks_limited)  # fmt: skip
    tasks = {}
    for spec in specs:
        result = evaluate_task(spec, lm, limit)
        tasks[spec.name] = {"items": list(result.items), "random_baseline": spec.random_baseline}
    scorer = PackedScorer(hf_model, tokenizer, batch_tokens=engine.batch_tokens)
    scored = scorer.rolling_logprob([d.text for d in docs], window=eval_cfg.perplexity.window)
    domains: dict[str, list[list[float]]] = {}
    for doc, (logprob, _) in zip(docs, scored, strict=True):
        bits = -logprob / math.log(2)
        domains.setdefault(doc.group, []).append([bits, len(doc.text.encode("utf-8"))])
    return {"model": model.artifact_id, "tasks": tasks, "domains": domains}


@dataclass
class VariantFigures:
    """One variant's figures (name -> Estimate) and its place in the ranking."""

    variant: str
    figures: dict[str, Estimate] = field(default_factory=dict)
    rank: int = 0
    distinct_from_best: bool | None = None
    diff_to_best: tuple[float, float] | None = None  # interval of composite(best) - composite


def variant_figures(
    name: str, seeds: list[dict[str, Any]], boot: Bootstrap, w_tasks: float, w_bpb: float
) -> VariantFigures:
    """Figures of one variant from its seeds' ``{"train_loss", "scores"}`` records."""
    draws = boot.seed_draws(len(seeds))
    out = VariantFigures(name)
    out.figures["train_loss"] = boot.estimate(
        [np.array([[s["train_loss"]]]) for s in seeds], mean_stat, draws
    )
    tasks: list[tuple[float, Estimate]] = []  # (random baseline, accuracy)
    for task, first in seeds[0]["scores"]["tasks"].items():
        per_seed = [np.array(s["scores"]["tasks"][task]["items"], float)[:, None] for s in seeds]
        out.figures[f"task/{task}"] = boot.estimate(per_seed, mean_stat, draws)
        tasks.append((first["random_baseline"], out.figures[f"task/{task}"]))
    bpbs = []
    for domain in seeds[0]["scores"]["domains"]:
        per_seed = [np.array(s["scores"]["domains"][domain], float) for s in seeds]
        bpbs.append(boot.estimate(per_seed, ratio_stat, draws))
        out.figures[f"bpb/{domain}"] = bpbs[-1]
    # centered accuracy (acc - rb) / (1 - rb), averaged over tasks, is linear in each acc
    parts = [(w_tasks / (len(tasks) * (1 - rb)), e) for rb, e in tasks]
    constant = -sum(w_tasks * rb / (len(tasks) * (1 - rb)) for rb, _ in tasks)
    parts += [(-w_bpb / len(bpbs), e) for e in bpbs]
    if not parts:
        raise ValueError("the evaluation scored no task and no held-out domain")
    out.figures["composite"] = boot.combine(parts, constant)
    return out


def verdict(
    variants: dict[str, list[dict[str, Any]]], boot: Bootstrap, cfg
) -> list[VariantFigures]:
    """Figures of every scored variant, ranked by composite (best first)."""
    comp = cfg.eval.composite
    ranked = sorted(
        (variant_figures(v, seeds, boot, comp.tasks, comp.bpb) for v, seeds in variants.items()),
        key=lambda f: -f.figures["composite"].value,
    )
    for rank, figures in enumerate(ranked, start=1):
        figures.rank = rank
        if rank > 1:
            best, mine = ranked[0].figures["composite"], figures.figures["composite"]
            figures.diff_to_best = boot.interval(best.replicates - mine.replicates)
            figures.distinct_from_best = boot.distinguishable(best, mine)
    return ranked
