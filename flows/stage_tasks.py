"""The Prefect task that runs one stage and publishes its artifacts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.context import get_run_context

from data_pipeline.project import load_project
from data_pipeline.runner import StageResult
from flows import terminal
from flows.retries import retry_transient
from flows.stage_inputs import run_stage_with_inputs


def new_progress_artifact(key: str, description: str | None = None) -> UUID:
    """A Prefect progress artifact at 0 %, created from synchronous code; its id."""
    made = create_progress_artifact(0.0, key=key, description=description)
    if not isinstance(made, UUID):  # a coroutine: only when called from async code
        raise RuntimeError(f"progress artifact {key}: create it from synchronous code")
    return made


def artifact_key(stage: str) -> str:
    """Stable artifact key per stage (lowercase letters, digits and dashes)."""
    return f"ladder-{stage}".replace("_", "-").lower()


def result_rows(result: StageResult) -> list[dict[str, Any]]:
    """Rows for the stage's table artifact: one per output table, then the counts."""
    run = result.run
    rows = [{"item": f"output {t.table}", "value": f"version {t.version}"} for t in run.outputs]
    rows += [
        {"item": "run id", "value": run.run_id},
        {"item": "status", "value": run.status + (" (cached)" if result.skipped else "")},
        {"item": "config hash", "value": run.config_hash},
        {"item": "code version", "value": run.code_version},
    ]
    rows += [{"item": f"input {t.table}", "value": f"version {t.version}"} for t in run.inputs]
    rows += [{"item": k, "value": str(v)} for k, v in sorted(run.counts.items())]
    return rows


def _flow_run_id() -> str | None:
    try:
        ctx = get_run_context()
    except Exception:
        return None
    flow_run = getattr(ctx, "flow_run", None) or getattr(
        getattr(ctx, "task_run", None), "flow_run_id", None
    )
    return str(getattr(flow_run, "id", flow_run)) if flow_run else None


@task(
    name="stage",
    task_run_name="{stage}",
    retries=2,
    retry_delay_seconds=20,
    retry_condition_fn=retry_transient,
)
def stage_task(
    config_path: str,
    stage: str,
    run_id: str,
    force: bool = False,
    inputs: dict[str, int] | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one stage through ``run_stage`` and publish a table and a progress artifact."""
    logger = get_run_logger()
    project = load_project(config_path, overrides)
    key = artifact_key(stage)
    progress_id = new_progress_artifact(f"{key}-progress", f"{stage} progress")

    def progress(message: str, fraction: float | None) -> None:
        logger.info("%s: %s", stage, message)
        terminal.report(stage, message, fraction)
        if fraction is not None:
            update_progress_artifact(progress_id, min(100.0, 100.0 * fraction))

    result = run_stage_with_inputs(
        project,
        stage,
        run_id=run_id,
        inputs=inputs,
        force=force,
        progress=progress,
        flow_run_id=_flow_run_id(),
    )
    update_progress_artifact(progress_id, 100.0)
    create_table_artifact(
        key=key,
        table=result_rows(result),
        description=f"{stage}: run {result.run.run_id}, "
        f"{'skipped (cache hit)' if result.skipped else result.run.status}",
    )
    if result.report.get("markdown"):
        create_markdown_artifact(
            key=f"{key}-report",
            markdown=result.report["markdown"],
            description=f"{stage} report, run {result.run.run_id}",
        )
    logger.info(
        "%s %s: %s",
        stage,
        "skipped" if result.skipped else "done",
        ", ".join(str(t) for t in result.run.outputs),
    )
    out = result_dict(stage, result)
    terminal.done(stage, terminal.stage_summary(out))
    return out


def result_dict(stage: str, result) -> dict[str, Any]:
    """A ``StageResult`` as the plain dict flows and the CLI print."""
    return {
        "stage": stage,
        "run_id": result.run.run_id,
        "skipped": result.skipped,
        "status": result.run.status,
        "outputs": {t.table: t.version for t in result.run.outputs},
        "counts": result.run.counts,
        "report": result.report,
    }
