"""``ladder platform up|down|status``: the local Prefect server, work pool, worker, deployments."""

from __future__ import annotations

import argparse


def cmd_platform(args: argparse.Namespace) -> int:
    from flows import platform

    if args.action == "up":
        info = platform.up(".", port=args.port)
        print(f"Prefect UI:   {info.ui_url}")
        print(f"API:          {info.api_url}")
        print(f"work pool:    {info.pool} (worker pid {info.worker_pid})")
        print(f"state + logs: {info.state_dir}")
        print("deployments:  prefect.yaml (all); stop with `ladder platform down`")
    elif args.action == "down":
        print("stopped" if platform.down(".") else "no platform recorded here")
    else:
        info = platform.load(".")
        print(
            "not running"
            if info is None
            else f"server pid {info.server_pid}, worker pid {info.worker_pid}, UI {info.ui_url}"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "platform",
        help="start/stop the local Prefect server, worker and deployments",
        description="up: Prefect server on 127.0.0.1 (database under .prefect/platform), a "
        "process work pool 'ladder-local', a worker, and every deployment of prefect.yaml. "
        "down: stop exactly the processes that up started.",
    )
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument("--port", type=int, default=4200, help="server port (default 4200)")
    p.set_defaults(func=cmd_platform)
