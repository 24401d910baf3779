"""``ladder``: the command line of the project. Each area adds its subcommands in ``commands``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from data_pipeline.lakehouse.config import ConfigError

DESCRIPTION = """\
ladder: raw text -> curated corpus -> trained model -> measured verdict.

Data stages run on Spark and write versioned Delta tables under the project's lakehouse.
Every run is recorded in the 'runs' table; `ladder lineage` walks back through it.

Common commands:
  ladder demo                               everything on the embedded sample data
  ladder curate conf/pipeline.yaml          all data stages (Prefect flow)
  ladder stage ingest conf/pipeline.yaml    one stage; --input TABLE@VERSION pins inputs
  ladder lineage ingested_docs@3            how a table version was made
"""


def build_parser() -> argparse.ArgumentParser:
    from flows.commands import COMMAND_MODULES

    parser = argparse.ArgumentParser(
        prog="ladder", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress lines (results are still printed)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from flows.prefect_env import configure_prefect_env

    configure_prefect_env(Path.cwd())
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from data_pipeline.lakehouse.locks import LockTimeout
    from flows import terminal

    terminal.configure(quiet=args.quiet)
    from flows.prefect_server import PrefectUnavailable, connect

    try:
        if getattr(args, "uses_prefect", False) and not args.no_prefect:
            connect(Path.cwd())
        return int(args.func(args) or 0)
    except (ConfigError, FileNotFoundError, ValueError, LockTimeout, PrefectUnavailable) as err:
        print(f"ladder: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
