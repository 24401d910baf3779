"""Exactness and throughput of ladder's evaluation against lm-evaluation-harness, in one run.

For each task, the same lm-eval task objects (same prompts, same first N items) are scored
  1. by ladder: ``evaluation.harness.evaluate_task`` with the packed scorer, and
  2. by lm-evaluation-harness end to end: ``lm_eval.simple_evaluate`` with its ``HFLM`` backend,
on the real base model (SmolLM2-135M-Instruct, float32, CPU). It prints accuracy per metric for
both (the difference must be <= 0.5 points) and examples/s for both (ratio >= 1.0 wanted).

    .venv/bin/python bench/eval_engine.py --items 100 --tasks hellaswag arc_easy piqa

The machine is shared: read the ratio, not the absolute times.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--tasks", nargs="+", default=["hellaswag", "arc_easy"])
    parser.add_argument("--batch-size", type=int, default=16, help="HFLM batch size")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import lm_eval
    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evaluation.backend import make_backend
    from evaluation.gauntlet import mean_stderr
    from evaluation.harness import build_tasks, item_scores
    from evaluation.specs import load_gauntlet
    from training.base_model import prepare_base_model

    torch.set_num_threads(args.threads)
    base = prepare_base_model(REPO / "artifacts")
    model = AutoModelForCausalLM.from_pretrained(base.path, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(base.path)
    gauntlet = load_gauntlet(REPO / "conf" / "eval" / "gauntlet.yaml")
    ours_lm = make_backend(model, tok, show_progress=False)
    ref_lm = HFLM(pretrained=model, tokenizer=tok, batch_size=args.batch_size)
    print(f"model {base.path} | {args.items} items per task | torch threads {args.threads}")
    header = f"{'task':<12}{'metric':<10}{'ladder':>9}{'lm-eval':>9}{'diff pts':>9}"
    header += f"{'ladder ex/s':>13}{'lm-eval ex/s':>14}{'speedup':>9}"
    print(header)
    worst, ratios = 0.0, []
    for spec in gauntlet.select(args.tasks):
        start = time.perf_counter()
        scores = item_scores(build_tasks(spec, args.items), ours_lm)
        ours_s = time.perf_counter() - start
        ours = {m: mean_stderr([s[m] for s in scores])[0] for m in scores[0]}
        start = time.perf_counter()
        res = lm_eval.simple_evaluate(
            model=ref_lm,
            tasks=build_tasks(spec, args.items),
            bootstrap_iters=0,
            log_samples=False,
            verbosity="ERROR",
        )
        ref_s = time.perf_counter() - start
        ref = next(v for k, v in res["results"].items() if k.startswith(spec.name))
        n = len(scores)
        for metric, value in ours.items():
            key = f"{metric},none"
            if key not in ref:
                continue
            diff = 100 * abs(value - ref[key])
            worst = max(worst, diff)
            print(
                f"{spec.name:<12}{metric:<10}{value:>9.4f}{ref[key]:>9.4f}{diff:>9.2f}"
                f"{n / ours_s:>13.2f}{n / ref_s:>14.2f}{ref_s / ours_s:>8.2f}x"
            )
        ratios.append(ref_s / ours_s)
    print(f"largest accuracy difference: {worst:.2f} points (must be <= 0.5)")
    print(f"throughput ratio ladder / lm-eval per task: {', '.join(f'{r:.2f}x' for r in ratios)}")
    return 0 if worst <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
