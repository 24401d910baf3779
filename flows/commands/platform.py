"""``ladder platform up|down|status``: the local Prefect server, work pool, worker, deployments;
``ladder platform cluster up|down|status|env``: the local Spark cluster and S3 store."""

from __future__ import annotations

import argparse
import json
import shlex


def cmd_cluster(action: str | None) -> int:
    from flows import cluster

    if action == "up":
        info = cluster.up(".")
        print(f"Spark master: {info.master_url} (UI {info.master_ui})")
        print(f"S3 store:     {info.s3_endpoint}, bucket s3://{info.bucket}")
        print(f"state + logs: {info.state_dir}")
        print(
            "environment:  eval $(ladder platform cluster env); stop: ladder platform cluster down"
        )
    elif action == "down":
        print("stopped" if cluster.down(".") else "no cluster recorded here")
    elif action == "env":
        recorded = cluster.load(".")
        if recorded is None:
            print("no cluster recorded here: run `ladder platform cluster up`")
            return 1
        for key, value in cluster.env(recorded).items():
            print(f"export {key}={shlex.quote(value)}")
    else:
        state = cluster.status(".")
        print("not running" if state is None else json.dumps(state, indent=2))
    return 0


def cmd_platform(args: argparse.Namespace) -> int:
    from flows import platform

    if args.action == "cluster":
        return cmd_cluster(args.cluster_action)
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
        loaded = platform.load(".")
        print(
            "not running"
            if loaded is None
            else f"server pid {loaded.server_pid}, worker pid {loaded.worker_pid}, "
            f"UI {loaded.ui_url}"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "platform",
        help="start/stop the local Prefect server, worker and deployments",
        description="up: Prefect server on 127.0.0.1 (database under .prefect/platform), a "
        "process work pool 'ladder-local', a worker, and every deployment of prefect.yaml. "
        "down: stop exactly the processes that up started. cluster up|down|status|env: a "
        "Spark standalone master, 2 workers and an S3 store (s3proxy) on 127.0.0.1 "
        "(state under .cluster; docs/cluster.md).",
    )
    p.add_argument("action", choices=["up", "down", "status", "cluster"])
    p.add_argument(
        "cluster_action",
        nargs="?",
        choices=["up", "down", "status", "env"],
        help="with `cluster`: what to do (default status)",
    )
    p.add_argument("--port", type=int, default=4200, help="server port (default 4200)")
    p.set_defaults(func=cmd_platform)
