"""The curate flow: the data stages of the project's ``pipeline`` list, in order."""

from __future__ import annotations

import functools
from typing import Any

from prefect import flow

from data_pipeline.lakehouse.names import RunId
from data_pipeline.project import load_project
from data_pipeline.runner import new_run_id, preflight
from flows.stage_tasks import stage_task
from flows.status import publish_status


@flow(name="curate", log_prints=True)
def curate(
    config: str = "conf/pipeline.yaml",
    sources: list[str] | None = None,
    force: bool = False,
    run_id: RunId | None = None,
    stages: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Run ingest and the following data stages; each stage is a task with its own artifact.

    ``sources`` limits ingest to some sources; ``stages`` limits the chain (default: the
    ``pipeline`` list of the config); ``force`` ignores the stage cache.
    """
    project = load_project(config)
    run_id = run_id or new_run_id()
    chain = stages or project.pipeline
    preflight(project, [s for s in chain if s != "ingest" or not sources])
    overrides = (
        {
            "stages": {
                **project.stages,
                "ingest": {**project.stages.get("ingest", {}), "sources": sources},
            }
        }
        if sources
        else None
    )
    results = []
    for stage in chain:
        timeout = project.orchestration.timeout_for(stage)
        task = stage_task.with_options(timeout_seconds=timeout)
        results.append(task(config, stage, run_id, force=force, overrides=overrides))
    publish_status(config)
    return results


def curate_plain(
    config: str = "conf/pipeline.yaml",
    sources: list[str] | None = None,
    force: bool = False,
    run_id: str | None = None,
    stages: list[str] | None = None,
) -> list[dict[str, Any]]:
    """``curate`` without Prefect (``--no-prefect``): the same stages and results, in-process."""
    from flows import terminal
    from flows.stage_inputs import run_stage_with_inputs
    from flows.stage_tasks import result_dict

    overrides = None
    if sources:
        raw = load_project(config)
        overrides = {
            "stages": {**raw.stages, "ingest": {**raw.stages.get("ingest", {}), "sources": sources}}
        }
    project = load_project(config, overrides)
    run_id = run_id or new_run_id()
    preflight(project, stages or project.pipeline)
    results = []
    for stage in stages or project.pipeline:
        result = run_stage_with_inputs(
            project,
            stage,
            run_id=run_id,
            force=force,
            progress=functools.partial(terminal.report, stage),
        )
        results.append(result_dict(stage, result))
        terminal.done(stage, terminal.stage_summary(results[-1]))
    return results


@flow(name="stage", log_prints=True)
def run_single_stage(
    config: str,
    stage: str,
    run_id: RunId | None = None,
    force: bool = False,
    inputs: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Run one stage on pinned input versions (``{table: version}``; latest by default)."""
    project = load_project(config)
    preflight(project, [stage])
    task = stage_task.with_options(timeout_seconds=project.orchestration.timeout_for(stage))
    return task(config, stage, run_id or new_run_id(), force=force, inputs=inputs)
