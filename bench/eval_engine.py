"""Exactness and throughput of ladder's evaluation against lm-evaluation-harness, in one run.

For each task, the same lm-eval task objects (same prompts, same first N items) are scored
  1. by ladder: ``evaluation.harness.item_scores`` over ``PackedLM`` (the packed scorer), and
  2. by lm-evaluation-harness end to end: ``lm_eval.simple_evaluate`` with its ``HFLM`` backend,
on the real base model (SmolLM2-135M-Instruct, float32, CPU). It prints accuracy per metric for
both (the difference must be <= 0.5 points) and examples/s for both (ratio >= 1.0 wanted).

Fairness on a shared, noisy machine: both engines first score ``--warmup`` items that are not
timed; then the N items are split into ``--chunks`` consecutive chunks and the engines take
turns on each chunk (ladder first on even chunks, lm-eval first on odd ones), so load swings
from other processes hit both. Task building (data loading) is outside the timed part for both.

    .venv/bin/python bench/eval_engine.py --items 100 --tasks arc_easy piqa

The machine is shared: read the ratio, not the absolute times.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def chunked(n: int, chunks: int) -> list[list[int]]:
    """``range(n)`` as ``chunks`` consecutive, nearly equal lists."""
    bounds = [round(i * n / chunks) for i in range(chunks + 1)]
    return [list(range(a, b)) for a, b in itertools.pairwise(bounds) if b > a]


def run_ladder(spec, lm, limit: int, items: list[int]) -> tuple[dict[str, float], float]:
    """Sum of each per-item metric over ``items`` and the seconds it took."""
    from evaluation.harness import build_tasks, item_scores

    tasks = build_tasks(spec, limit)
    start = time.perf_counter()
    scores = item_scores(tasks, lm, samples=items)
    seconds = time.perf_counter() - start
    return {m: sum(float(s[m]) for s in scores) for m in scores[0]}, seconds


def run_harness(spec, lm, limit: int, items: list[int]) -> tuple[dict[str, float], float]:
    """The same with ``lm_eval.simple_evaluate`` (means times item count = sums)."""
    import lm_eval

    from evaluation.harness import build_tasks

    tasks = build_tasks(spec, limit)
    start = time.perf_counter()
    res = lm_eval.simple_evaluate(
        model=lm,
        tasks=tasks,
        samples={spec.name: items},
        bootstrap_iters=0,
        log_samples=False,
        verbosity="ERROR",
    )
    seconds = time.perf_counter() - start
    out = res["results"][spec.name]
    metrics = {k.split(",")[0]: v for k, v in out.items() if k.endswith(",none")}
    sums = {k: float(v) * len(items) for k, v in metrics.items() if not k.endswith("_stderr")}
    return sums, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100, help="first N items of each task")
    parser.add_argument("--tasks", nargs="+", default=["arc_easy", "piqa"])
    parser.add_argument("--chunks", type=int, default=4, help="turns the engines take per task")
    parser.add_argument("--warmup", type=int, default=2, help="untimed items (after the N)")
    parser.add_argument("--batch-size", type=int, default=16, help="HFLM batch size")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evaluation.backend import make_backend
    from evaluation.specs import load_gauntlet
    from training.base_model import prepare_base_model

    torch.set_num_threads(args.threads)
    base = prepare_base_model(REPO / "artifacts")
    model = AutoModelForCausalLM.from_pretrained(base.path, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(base.path)
    gauntlet = load_gauntlet(REPO / "conf" / "eval" / "gauntlet.yaml")
    engines = {
        "ladder": (run_ladder, make_backend(model, tok, show_progress=False)),
        "lm-eval": (run_harness, HFLM(pretrained=model, tokenizer=tok, batch_size=args.batch_size)),
    }
    print(
        f"model {base.path} | {args.items} items per task in {args.chunks} alternating chunks "
        f"| {args.warmup} warm-up items | torch threads {args.threads} | HFLM batch "
        f"{args.batch_size} | load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rows, worst, ratios = [], 0.0, []
    for spec in gauntlet.select(args.tasks):
        limit = args.items + args.warmup
        warm = list(range(args.items, limit))
        for run, lm in engines.values():
            run(spec, lm, limit, warm)
        sums = {name: {} for name in engines}
        seconds = dict.fromkeys(engines, 0.0)
        for k, chunk in enumerate(chunked(args.items, args.chunks)):
            order = list(engines) if k % 2 == 0 else list(reversed(engines))
            for name in order:
                run, lm = engines[name]
                part, took = run(spec, lm, limit, chunk)
                seconds[name] += took
                for metric, value in part.items():
                    sums[name][metric] = sums[name].get(metric, 0.0) + value
            print(
                f"  {spec.name} chunk {k + 1}: ladder {seconds['ladder']:.1f}s, "
                f"lm-eval {seconds['lm-eval']:.1f}s so far",
                flush=True,
            )
        speed = {name: args.items / seconds[name] for name in engines}
        ratios.append(seconds["lm-eval"] / seconds["ladder"])
        for metric in sums["ladder"]:
            if metric not in sums["lm-eval"]:
                continue
            ours = sums["ladder"][metric] / args.items
            ref = sums["lm-eval"][metric] / args.items
            diff = 100 * abs(ours - ref)
            worst = max(worst, diff)
            rows.append((spec.name, metric, ours, ref, diff, speed["ladder"], speed["lm-eval"]))
    print(f"{'task':<12}{'metric':<10}{'ladder':>9}{'lm-eval':>9}{'diff pts':>9}"
          f"{'ladder ex/s':>13}{'lm-eval ex/s':>14}{'speedup':>9}")  # fmt: skip
    for task, metric, ours, ref, diff, s_ours, s_ref in rows:
        print(f"{task:<12}{metric:<10}{ours:>9.4f}{ref:>9.4f}{diff:>9.2f}{s_ours:>13.2f}"
              f"{s_ref:>14.2f}{s_ours / s_ref:>8.2f}x")  # fmt: skip
    print(f"largest accuracy difference: {worst:.2f} points (must be <= 0.5)")
    print(f"throughput ratio ladder / lm-eval per task: {', '.join(f'{r:.2f}x' for r in ratios)}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0 if worst <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
