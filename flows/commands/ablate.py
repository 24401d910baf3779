"""``ladder ablate CONFIG``: data variants judged by proxy models (``flows.ablate``)."""

from __future__ import annotations

import argparse

from data_pipeline.lakehouse.names import arg_type
from flows.prefect_server import add_prefect_flag


def cmd_ablate(args: argparse.Namespace) -> int:
    if args.print_plan:
        from training.ablation import load_ablation, plan_text

        print(plan_text(load_ablation(args.config), args.gpu, args.mfu, args.price))
        return 0
    if args.no_prefect:
        from flows.ablate import ablate_plain

        out = ablate_plain(args.config, args.run_id)
    else:
        from flows.ablate import ablate

        out = ablate(args.config, args.run_id)
    print(f"\n{out['table']}")  # the flow's own print goes to its Prefect log
    print(f"\nrows: {out['results']}  (ladder lineage {out['results']})")
    print(f"chart: {out['chart']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ablate",
        help="compare data-pipeline variants by training proxy models on an equal token budget",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run every variant of CONFIG (conf/ablate/*.yaml): its data stages (shared stages\n"
            "are cache hits), a proxy model per seed on exactly the token budget, a fixed\n"
            "evaluation; prints the ranked table with intervals, writes ablation_results and\n"
            "a chart. --print-plan prints the cost per variant and in total instead."
        ),
    )
    p.add_argument("config", help="ablation YAML, e.g. conf/ablate/demo.yaml")
    p.add_argument("--run-id", type=arg_type("run id"), help="run id (default: a new one)")
    p.add_argument("--print-plan", action="store_true", help="cost estimate only")
    p.add_argument("--gpu", default="h100", help="GPU type for --print-plan")
    p.add_argument("--mfu", type=float, default=0.4, help="model FLOPs utilisation (0-1)")
    p.add_argument("--price", type=float, default=2.5, help="$ per GPU-hour")
    add_prefect_flag(p)
    p.set_defaults(func=cmd_ablate)
