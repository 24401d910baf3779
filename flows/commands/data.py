"""Data commands: curate, stage, lineage, demo."""

from __future__ import annotations

import argparse
import json

from data_pipeline.lakehouse.names import arg_type
from flows.prefect_server import add_prefect_flag

DEFAULT_CONFIG = "conf/pipeline.yaml"
RUN_ID = arg_type("run id")


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _parse_inputs(values: list[str] | None) -> dict[str, int]:
    from data_pipeline.lakehouse.tables import TableVersion

    inputs = {}
    for ref in values or []:
        table, version = TableVersion.parse(ref)
        if version is None:
            raise ValueError(f"--input {ref!r}: give TABLE@VERSION, e.g. ingested_docs@3")
        inputs[table] = version
    return inputs


def _preflight(config: str, stages: list[str] | None, sources: list[str] | None = None) -> None:
    """Stage names and sources checked before Spark or Prefect start: errors are one line."""
    from data_pipeline.project import load_project
    from data_pipeline.runner import preflight

    project = load_project(config)
    if sources:
        ingest = {**project.stages.get("ingest", {}), "sources": sources}
        project.stages = {**project.stages, "ingest": ingest}
    preflight(project, stages or project.pipeline)


def cmd_curate(args: argparse.Namespace) -> int:
    from flows.curate import curate

    _preflight(args.config, None, args.sources)
    if args.no_prefect:
        from flows.curate import curate_plain

        results = curate_plain(
            config=args.config,
            sources=args.sources,
            force=args.force,
            run_id=args.run_id,
        )
    else:
        results = curate(
            config=args.config, sources=args.sources, force=args.force, run_id=args.run_id
        )
    print_results(results)
    return 0


def cmd_stage(args: argparse.Namespace) -> int:
    inputs = _parse_inputs(args.input)
    _preflight(args.config, [args.name])
    if args.explain:
        from data_pipeline.explain import explain_stage

        print(explain_stage(args.config, args.name, args.sample, inputs))
        return 0
    if args.no_prefect:
        from data_pipeline.project import load_project
        from flows import terminal
        from flows.stage_inputs import run_stage_with_inputs

        result = run_stage_with_inputs(
            load_project(args.config),
            args.name,
            run_id=args.run_id,
            inputs=inputs,
            force=args.force,
            progress=lambda message, fraction: terminal.report(args.name, message, fraction),
        )
        run = result.run
        print_results(
            [
                {
                    "stage": run.stage,
                    "run_id": run.run_id,
                    "skipped": result.skipped,
                    "status": run.status,
                    "counts": run.counts,
                    "outputs": {t.table: t.version for t in run.outputs},
                }
            ]
        )
        return 0
    from flows.curate import run_single_stage

    print_results(
        [
            run_single_stage(
                config=args.config,
                stage=args.name,
                run_id=args.run_id,
                force=args.force,
                inputs=inputs or None,
            )
        ]
    )
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from data_pipeline.lakehouse.lineage import format_lineage, lineage
    from data_pipeline.lakehouse.tables import TableVersion
    from data_pipeline.project import load_project
    from data_pipeline.runner import open_lakehouse

    table, version = TableVersion.parse(args.table)
    lakehouse = open_lakehouse(load_project(args.config))
    node = lineage(lakehouse, table, version)
    print(format_lineage(node))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from data_pipeline.project import load_project
    from data_pipeline.runner import open_lakehouse
    from data_pipeline.status import collect_status, format_status, quick_status

    project = load_project(args.config)
    print(f"lakehouse {project.lakehouse}")
    status = quick_status(project.lakehouse)  # no Spark when the Delta log can be read directly
    if status is None:
        status = collect_status(open_lakehouse(project))
    print(format_status(status))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import run_demo

    return run_demo(args.config, force=args.force, use_prefect=not args.no_prefect)


def print_results(results: list[dict]) -> None:
    for r in results:
        state = "skipped (cache hit)" if r.get("skipped") else r.get("status", "")
        outputs = ", ".join(f"{t}@{v}" for t, v in r.get("outputs", {}).items())
        print(f"{r['stage']:<10} {state:<20} run {r['run_id']}  -> {outputs}")
        counts = r.get("counts") or {}
        main = {k: v for k, v in counts.items() if "." not in k}
        if main:
            print("           " + json.dumps(main, sort_keys=True))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "curate",
        help="run the data stages of a pipeline config (Prefect flow)",
        formatter_class=_formatter,
        description=(
            "Run every stage in the config's `pipeline` list as a Prefect flow.\n"
            "Stages whose inputs, config and code are unchanged are skipped."
        ),
    )
    p.add_argument("config", nargs="?", default=DEFAULT_CONFIG, help="pipeline YAML")
    p.add_argument("--sources", nargs="+", help="ingest only these sources")
    p.add_argument("--force", action="store_true", help="ignore the stage cache")
    p.add_argument("--run-id", type=RUN_ID, help="reuse a run id (replay or resume a run)")
    add_prefect_flag(p)
    p.set_defaults(func=cmd_curate)

    p = sub.add_parser(
        "stage",
        help="run one stage",
        formatter_class=_formatter,
        description=(
            "Run one stage. Its inputs default to the latest table versions; pin them with\n"
            "--input TABLE@VERSION. The same --run-id twice writes nothing the second time."
        ),
    )
    p.add_argument("name", help="stage name (ingest, filter, dedup, tokenize, ...)")
    p.add_argument("config", nargs="?", default=DEFAULT_CONFIG, help="pipeline YAML")
    p.add_argument("--run-id", type=RUN_ID, help="run id (default: a new one)")
    p.add_argument("--input", action="append", metavar="TABLE@VERSION", help="pin an input")
    p.add_argument("--force", action="store_true", help="ignore the stage cache")
    add_prefect_flag(p)
    p.add_argument(
        "--explain",
        action="store_true",
        help="filter: run on a sample, write nothing; counts and examples per reason",
    )
    p.add_argument("--sample", type=int, default=2000, metavar="N", help="--explain sample size")
    p.set_defaults(func=cmd_stage)

    p = sub.add_parser(
        "lineage",
        help="show how a table version was made",
        formatter_class=_formatter,
        description=(
            "Print the run, config, code version and inputs of TABLE@VERSION\n"
            "(latest when no version), then the same for each input, back to\n"
            "the raw sources."
        ),
    )
    p.add_argument("table", metavar="TABLE[@VERSION]")
    p.add_argument("--config", default=DEFAULT_CONFIG, help="pipeline YAML (for the lakehouse)")
    p.set_defaults(func=cmd_lineage)

    p = sub.add_parser(
        "status",
        help="latest version of each table, its lineage, last run state per stage",
    )
    p.add_argument("--config", default=DEFAULT_CONFIG, help="pipeline YAML (for the lakehouse)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("demo", help="prepare the sample corpus and run the whole ladder on it")
    p.add_argument("--config", default=DEFAULT_CONFIG, help="pipeline YAML")
    p.add_argument("--force", action="store_true", help="ignore the stage cache")
    add_prefect_flag(p)
    p.set_defaults(func=cmd_demo)
