"""``ladder eval``: gauntlet runs, base-vs-tuned comparison, golden sets, latency."""

from __future__ import annotations

import argparse

from data_pipeline.lakehouse.names import arg_type
from flows.prefect_server import add_prefect_flag

DEFAULT_CONFIG = "conf/eval/eval.yaml"
HELP = """\
Evaluate models: gauntlet benchmarks by competency (centered accuracy, category means and
composites), domain bits per byte on the held-out split, golden sets with an LLM judge, and
generation latency/cost. Results go to the eval_results Delta table, Prefect artifacts and MLflow.

MODEL is a known base model name (smollm2-135m-instruct), artifact:NAME[@V] or an HF folder.

  ladder eval run smollm2-135m-instruct --limit 20 --tasks hellaswag arc_easy
  ladder eval gauntlet                       full gauntlet on the base model (task caps apply)
  ladder eval gauntlet --limit 100           the same with every task cut to its first 100 items
  ladder eval compare smollm2-135m-instruct artifact:model/my-run --limit 10
  ladder eval golden MODEL                   golden set + judge only
  ladder eval latency MODEL                  latency and cost only
"""


def _run(args: argparse.Namespace, **overrides) -> int:
    from flows.evaluate import evaluate, evaluate_plain

    kwargs = {
        "model": args.model,
        "config": args.config,
        "tasks": args.tasks,
        "limit": args.limit,
        "run_id": args.run_id,
        "perplexity": not args.no_perplexity,
        "golden": args.golden,
        "latency": args.latency,
    }
    kwargs.update(overrides)
    out = evaluate_plain(**kwargs) if args.no_prefect else evaluate(**kwargs)
    if out["text"]:  # printed here: prints inside flows go to Prefect's log (WARNING by default)
        print(out["text"] + "\n")
    for r in out["rows"]:  # domain, golden-set and latency rows
        if r["kind"] not in ("task", "category", "composite"):
            se = f" ±{r['stderr']:.4f}" if r["stderr"] is not None else ""
            print(f"{r['task']:<40} {r['metric']:<20} {r['value']:.4f}{se}  n={r['n']}")
    chart = out.get("chart", "-")
    print(f"\nrows: {out['results']}  chart: {chart}  mlflow: {out['mlflow_run_id']}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    return _run(args)


def cmd_gauntlet(args: argparse.Namespace) -> int:
    return _run(args, tasks=None)


def cmd_golden(args: argparse.Namespace) -> int:
    return _run(args, tasks=[], perplexity=False, golden=True, latency=False)


def cmd_latency(args: argparse.Namespace) -> int:
    return _run(args, tasks=[], perplexity=False, golden=False, latency=True)


def cmd_compare(args: argparse.Namespace) -> int:
    from flows.evaluate import compare_models, compare_plain

    out = (compare_plain if args.no_prefect else compare_models)(
        base=args.base, tuned=args.tuned, config=args.config, tasks=args.tasks,
        limit=args.limit, run_id=args.run_id, golden=args.golden, latency=args.latency,
    )  # fmt: skip
    print(out["table"])
    print(f"\nchart: {out['chart']}")
    return 0


def _common(p: argparse.ArgumentParser, tasks: bool = True) -> None:
    p.add_argument("--config", default=DEFAULT_CONFIG, help="evaluation YAML")
    if tasks:
        p.add_argument("--tasks", nargs="+", help="only these gauntlet tasks")
    p.add_argument(
        "--limit",
        type=int,
        help="at most N items per task (below its max_items cap) and documents per domain group",
    )
    p.add_argument("--run-id", type=arg_type("run id"), help="run id (default: a new one)")
    add_prefect_flag(p)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate models (gauntlet, domain perplexity, golden sets, latency)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    eval_sub = p.add_subparsers(dest="eval_command", metavar="SUBCOMMAND")
    eval_sub.required = True

    r = eval_sub.add_parser("run", help="evaluate one model")
    r.add_argument("model", help="base model name, artifact:NAME[@V] or HF folder")
    _common(r)
    r.add_argument("--no-perplexity", action="store_true", help="skip domain bits per byte")
    r.add_argument("--golden", action="store_true", help="also score the golden set + judge")
    r.add_argument("--latency", action="store_true", help="also measure latency and cost")
    r.set_defaults(func=cmd_run)

    g = eval_sub.add_parser("gauntlet", help="the full gauntlet on a model (base by default)")
    g.add_argument("model", nargs="?", default="smollm2-135m-instruct")
    _common(g, tasks=False)
    g.set_defaults(func=cmd_gauntlet, tasks=None, no_perplexity=False, golden=False, latency=False)

    c = eval_sub.add_parser("compare", help="base vs tuned side by side (forgetting + learning)")
    c.add_argument("base")
    c.add_argument("tuned")
    _common(c)
    c.add_argument("--golden", action="store_true")
    c.add_argument("--latency", action="store_true")
    c.set_defaults(func=cmd_compare)

    for name, func, text in (
        ("golden", cmd_golden, "score the golden set with the LLM judge"),
        ("latency", cmd_latency, "time to first token, tokens/s and cost per 1M tokens"),
    ):
        s = eval_sub.add_parser(name, help=text)
        s.add_argument("model")
        _common(s, tasks=False)
        s.set_defaults(func=func, tasks=[], no_perplexity=True, golden=False, latency=False)
