"""Training commands: train, plan, sweep."""

from __future__ import annotations

import argparse
import json

from data_pipeline.lakehouse.names import arg_type
from flows.prefect_server import add_prefect_flag


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def cmd_train(args: argparse.Namespace) -> int:
    if args.print_launch:
        from training.orchestrate import print_launch

        commands = print_launch(
            args.recipe,
            args.set,
            args.nodes,
            args.gpus_per_node,
            args.master_addr,
            args.master_port,
            args.run_name,
            record=not args.no_record,
        )
        for rank, command in enumerate(commands):
            print(f"# node {rank}")
            print(command)
        return 0
    if args.no_prefect:
        from training.orchestrate import run_training

        result = run_training(
            args.recipe, args.set, args.run_name, args.gpus, record=not args.no_record
        )
    else:
        from flows.train import train_flow

        result = train_flow(args.recipe, args.set, args.run_name, args.gpus, not args.no_record)
    print(json.dumps({k: result.get(k) for k in _SUMMARY}, indent=2, default=str))
    return 0


_SUMMARY = (
    "run_name", "status", "batches", "tokens", "final_loss", "initial_eval_loss",
    "final_eval_loss", "hf_model",
    "checkpoint", "mlflow_run_id", "inputs", "outputs",
)  # fmt: skip


def cmd_plan(args: argparse.Namespace) -> int:
    from training.plan import format_plan, make_plan
    from training.recipe_files import load_recipe

    plan = make_plan(load_recipe(args.recipe, args.set), args.gpu, args.mfu, args.price)
    print(json.dumps(plan.as_dict(), indent=2) if args.json else format_plan(plan))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from flows.sweep import sweep_flow, sweep_plain

    result = (sweep_plain if args.no_prefect else sweep_flow)(
        args.recipe,
        coarse=args.coarse,
        fine_points=args.fine_points,
        trial_batches=args.trial_batches,
        overrides=args.set,
    )
    for row in result["table"]:
        print(f"lr={row['lr']:<10.3g} eval_loss={row['eval_loss']:.4f}  ({row['round']})")
    print(f"best lr: {result['best_lr']:.3g}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a recipe with Composer (resumes its run when started again)",
        formatter_class=_formatter,
        description=(
            "Train conf/train/RECIPE.yaml (or a path). The run name is the recipe name plus\n"
            "a hash of its content, so starting the same command again resumes from the last\n"
            "checkpoint. --print-launch prints the composer command for each node instead."
        ),
    )
    p.add_argument("recipe", help="recipe name in conf/train/ or a YAML path")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a recipe key")
    p.add_argument(
        "--run-name",
        type=arg_type("run name"),
        help="run name (default: recipe name + content hash)",
    )
    p.add_argument("--gpus", type=int, default=1, help="processes on this machine (default 1)")
    add_prefect_flag(p)
    p.add_argument("--no-record", action="store_true", help="no runs/artifacts records")
    p.add_argument("--print-launch", action="store_true", help="print per-node launch commands")
    p.add_argument("--nodes", type=int, default=1, help="nodes (with --print-launch)")
    p.add_argument("--gpus-per-node", type=int, default=8, help="GPUs per node (--print-launch)")
    p.add_argument("--master-addr", default="$MASTER_ADDR", help="rank-0 host (--print-launch)")
    p.add_argument("--master-port", type=int, default=29500, help="rank-0 port (--print-launch)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "plan",
        help="parameters, tokens, FLOPs and GPU cost of a recipe",
        formatter_class=_formatter,
        description=(
            "Print parameters (active ones for MoE), tokens, FLOPs = 6 x params x tokens,\n"
            "the Chinchilla-optimal token count (20/param), the share of the base model's\n"
            "pretraining tokens (continued pretraining), GPU-hours and cost."
        ),
    )
    p.add_argument("recipe", help="recipe name in conf/train/ or a YAML path")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a recipe key")
    p.add_argument("--gpu", default="h100", help="GPU type: h100, h200, a100, a10, ...")
    p.add_argument("--mfu", type=float, default=0.4, help="model FLOPs utilisation (0-1)")
    p.add_argument("--price", type=float, default=2.5, help="$ per GPU-hour")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser(
        "sweep",
        help="SFT learning-rate sweep: coarse grid, then a finer one around the best",
        formatter_class=_formatter,
    )
    p.add_argument("recipe", help="recipe name in conf/train/ or a YAML path")
    p.add_argument("--coarse", type=float, nargs="+", help="coarse learning rates")
    p.add_argument("--fine-points", type=int, default=2, help="learning rates in the fine round")
    p.add_argument("--trial-batches", type=int, default=None, help="batches per trial")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a recipe key")
    add_prefect_flag(p)
    p.set_defaults(func=cmd_sweep)
