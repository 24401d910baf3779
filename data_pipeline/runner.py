"""Runs one stage with everything around it: pinned inputs, caching, atomic writes, lineage.

Every stage goes through ``run_stage``; stage code only turns input DataFrames into outputs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

from data_pipeline.code_graph import code_fingerprint
from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.config import stable_hash
from data_pipeline.lakehouse.lineage import (
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    RunLog,
    RunRecord,
)
from data_pipeline.lakehouse.locks import exclusive, is_locking
from data_pipeline.lakehouse.names import check_name
from data_pipeline.lakehouse.project import ProjectConfig
from data_pipeline.lakehouse.recording import recorded_run
from data_pipeline.lakehouse.tables import (
    ArtifactRef,
    CommitInfo,
    Lakehouse,
    Ref,
    TableVersion,
    open_lakehouse,
)
from data_pipeline.stages import get_stage, stage_config
from data_pipeline.stages.registry import STAGES, ProgressFn, StageContext, StageSpec

log = logging.getLogger(__name__)


@dataclass
class StageResult:
    """The run record of a stage run, whether it was skipped, and report extras."""

    run: RunRecord
    skipped: bool = False
    reason: str = ""
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> dict[str, Ref]:
        return {t.table: t for t in self.run.outputs}


def new_run_id() -> str:
    """A sortable, unique run id: UTC timestamp plus random suffix."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def resolve_inputs(
    lakehouse: Lakehouse, tables: tuple[str, ...], pinned: dict[str, int] | None
) -> dict[str, TableVersion]:
    """Pin each input table to the requested version, or to its latest one."""
    pinned = pinned or {}
    unknown = set(pinned) - set(tables)
    if unknown:
        raise ValueError(f"inputs {sorted(unknown)} are not inputs of this stage {list(tables)}")
    resolved = {}
    for table in tables:
        version = pinned.get(table, lakehouse.latest_version(table))
        if version is None:
            producers = sorted(s.name for s in STAGES.values() if table in s.outputs)
            hint = (
                f"run {' or '.join(producers)} first"
                if producers
                else "no data stage writes it: check the name; a table written outside the "
                "data stages (benchmark_items) is published when this stage runs through a flow "
                "or `ladder stage`"
            )
            raise FileNotFoundError(
                f"input table {table!r} does not exist under {lakehouse.root}: {hint}"
            )
        resolved[table] = TableVersion(table, version)
    return resolved


def run_stage(
    project: ProjectConfig,
    stage: str,
    *,
    run_id: str | None = None,
    inputs: dict[str, int] | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    flow_run_id: str | None = None,
    config_override: Any = None,
) -> StageResult:
    """Run ``stage`` of ``project`` and record it in the ``runs`` table.

    - The same ``run_id`` replayed after success returns the recorded run (nothing is written
      twice); after a failure or a kill it runs again, keeping the run's original start time.
    - Unless ``force``, a stage whose cache key (inputs, resolved config, code version and input
      fingerprint) matches an earlier successful run is skipped and that run's outputs reused.
    """
    spec = get_stage(stage)
    run_id = check_name(run_id or new_run_id(), "run id")
    config = config_override if config_override is not None else stage_config(project, stage)
    if spec.preflight:
        spec.preflight(project, config)
    lakehouse = open_lakehouse(project)
    with exclusive(lakehouse.root, f"stage-{stage}", run_id, lock_timeout_s()):
        return _run_locked(
            spec, project, lakehouse, run_id, inputs, force, progress, flow_run_id, config
        )


def make_context(
    project: ProjectConfig,
    lakehouse: Lakehouse,
    stage: str,
    run_id: str,
    inputs: dict[str, int] | None = None,
    progress: ProgressFn | None = None,
    config: Any = None,
) -> StageContext:
    """The context ``stage`` runs with: its config (``config`` or the project's section), its
    input tables pinned (``inputs`` versions, else the latest) and a progress callback (logging
    by default)."""
    spec = get_stage(stage)
    config = config if config is not None else stage_config(project, stage)
    return StageContext(
        spark=lakehouse.spark,
        lakehouse=lakehouse,
        project=project,
        config=config,
        run_id=run_id,
        started_at=dt.datetime.now(dt.UTC),
        inputs=resolve_inputs(lakehouse, spec.input_tables(config), inputs),
        progress=progress or (lambda message, fraction: log.info("%s: %s", stage, message)),
    )


def preflight(project: ProjectConfig, stages: list[str]) -> None:
    """Check what can be checked before Spark starts: the stage names and each stage's
    ``preflight`` (e.g. ingest's sources have files). Raises ``ConfigError``."""
    for stage in stages:
        spec = get_stage(stage)
        if spec.preflight:
            spec.preflight(project, stage_config(project, stage))


def lock_timeout_s() -> float:
    """How long a writer waits for another run of the same stage (``LADDER_LOCK_TIMEOUT_S``)."""
    return float(os.environ.get("LADDER_LOCK_TIMEOUT_S", "3600"))


def _run_locked(
    spec: StageSpec,
    project: ProjectConfig,
    lakehouse: Lakehouse,
    run_id: str,
    inputs: dict[str, int] | None,
    force: bool,
    progress: ProgressFn | None,
    flow_run_id: str | None,
    config_override: Any,
) -> StageResult:
    stage = spec.name
    runs = RunLog(lakehouse)
    ctx = make_context(project, lakehouse, stage, run_id, inputs, progress, config_override)
    config = ctx.config
    view = spec.config_view(ctx) if spec.config_view else config.model_dump(mode="json")
    config_hash = stable_hash(view)
    fingerprint = spec.fingerprint(ctx) if spec.fingerprint else None
    inputs_list: list[Ref] = list(ctx.inputs.values())
    cache_key = stable_hash(
        [
            stage,
            config_hash,
            code_fingerprint(spec.run.__module__),
            [str(t) for t in inputs_list],
            fingerprint,
        ]
    )
    earlier = runs.of_stage(stage)  # one read for the checks below
    if is_locking(lakehouse.root):  # we hold the stage lock: other `running` runs are dead
        for stale in [r for r in earlier if r.status == RUNNING and r.run_id != run_id]:
            runs.abandon(stale, f"run {run_id}")
    existing = next((r for r in earlier if r.run_id == run_id), None)
    if existing is not None and existing.status in (SUCCEEDED, SKIPPED):
        log.info("%s: run %s already %s; nothing to do", stage, run_id, existing.status)
        return StageResult(existing, skipped=True, reason=f"run {run_id} already recorded")
    if existing is not None:  # a failed or killed attempt: keep its start time
        ctx.started_at = existing.started_at
    if not force:
        cached = runs.find_cached(earlier, cache_key)
        if cached is not None and _outputs_exist(lakehouse, cached):
            skipped = RunRecord(
                run_id=run_id,
                stage=stage,
                status=SKIPPED,
                flow_run_id=flow_run_id,
                config_json=json.dumps(view, sort_keys=True),
                config_hash=config_hash,
                inputs=inputs_list,
                outputs=cached.outputs,
                counts=cached.counts,
                started_at=ctx.started_at,
                ended_at=dt.datetime.now(dt.UTC),
                duration_s=0.0,
                error=f"cache hit: same inputs, config and code as run {cached.run_id}",
                cache_key=cache_key,
            )
            runs.record(skipped)
            log.info("%s: skipped, %s", stage, skipped.error)
            return StageResult(skipped, skipped=True, reason=skipped.error or "")
    with recorded_run(
        lakehouse,
        stage,
        run_id,
        inputs_list,
        view,
        config_hash=config_hash,
        flow_run_id=flow_run_id,
        cache_key=cache_key,
        started_at=ctx.started_at,
        attempt_only=True,
    ) as record:
        output = spec.run(ctx)
        commit = CommitInfo(run_id, stage, config_hash, record.code_version, tuple(record.inputs))
        written: dict[str, TableVersion] = {}
        for write in output.writes:  # every name checked before the first commit
            check_name(write.table, f"{stage}: output table")
        for version in lakehouse.write_all(output.writes, commit):
            written[version.table] = version
            ctx.progress(f"committed {version}", None)
        if output.verify:
            output.verify(written)
        for df in output.persisted:
            df.unpersist()
        record.counts = output.counts
        record.outputs = [*written.values(), *output.artifacts]
    return StageResult(record, report=output.report)


def _outputs_exist(lakehouse: Lakehouse, run: RunRecord) -> bool:
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry

    for table in run.outputs:
        if isinstance(table, ArtifactRef):
            try:
                art = ArtifactRegistry(lakehouse).get(table.name, table.version)
            except FileNotFoundError:
                return False
            if not storage.exists(art.uri):
                return False
            continue
        latest = lakehouse.latest_version(table.table)
        if latest is None or latest < table.version:
            return False
    return bool(run.outputs)
