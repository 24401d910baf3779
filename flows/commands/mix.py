"""``ladder mix``: inspect data mixes and curricula (conf/mix/*.yaml)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict


def cmd_mix_show(args: argparse.Namespace) -> int:
    from training.mix import data_dir, load_mix, phase_streams, token_plan

    mix = load_mix(args.config)
    plan = token_plan(mix, args.tokens)
    if args.json:
        print(json.dumps(asdict(plan), indent=2))
        return 0
    print(f"shard set {data_dir(mix)}")
    print(plan.format())
    for phase in mix.phases:
        streams = phase_streams(mix, phase)
        print(f"\nphase {phase.name}: {len(streams)} streaming.Stream objects (build_streams)")
        for info, weight in streams:
            print(f"  Stream(local={info.local!r}, {weight.describe()})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mix",
        help="data mixes and curricula over MDS streams",
        description="Inspect a mix YAML (streams, weights, curriculum phases).",
    )
    mix_sub = p.add_subparsers(dest="mix_command", metavar="ACTION")
    mix_sub.required = True
    show = mix_sub.add_parser(
        "show",
        help="print tokens per stream per phase and effective epochs per source",
        description=(
            "Print the token plan of a mix: per phase the tokens and sequences drawn from each\n"
            "stream, then the effective epochs of every stream and source."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("config", help="mix YAML, e.g. conf/mix/demo.yaml")
    show.add_argument("--tokens", type=int, help="training tokens (default: the mix's total)")
    show.add_argument("--json", action="store_true", help="print the plan as JSON")
    show.set_defaults(func=cmd_mix_show)
