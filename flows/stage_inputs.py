"""Running a data stage after publishing the input tables that other parts of ladder write.

Most stage inputs are outputs of earlier stages. ``benchmark_items`` is not: evaluation owns the
gauntlet and formats its items (``evaluation.items.publish_items``), and the decontaminate
stage indexes them. Since ``data_pipeline`` imports neither training nor evaluation, the flows
publish such a table just before a stage that reads it (a new version only when the items
change), unless the caller pinned its version. Every flow and CLI path runs stages through
``run_stage_with_inputs``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from data_pipeline.lakehouse import uris
from data_pipeline.lakehouse.locks import exclusive
from data_pipeline.lakehouse.project import ProjectConfig
from data_pipeline.lakehouse.schemas import BENCHMARK_ITEMS_TABLE
from data_pipeline.lakehouse.tables import TableVersion, open_lakehouse
from data_pipeline.runner import StageResult, lock_timeout_s, new_run_id, run_stage
from data_pipeline.stages import get_stage, stage_config

REPO_GAUNTLET = Path(__file__).resolve().parents[1] / "conf" / "eval" / "gauntlet.yaml"


def gauntlet_path(gauntlet: str | None, origin: str) -> str:
    """The gauntlet YAML: configured (relative to the project file at ``origin``) or the
    repository's own."""
    if gauntlet is None:
        return str(REPO_GAUNTLET)
    if Path(gauntlet).is_absolute() or uris.is_remote(gauntlet) or origin == "<memory>":
        return gauntlet
    return uris.join(uris.parent(origin), gauntlet)


def publish_benchmark_items(project: ProjectConfig, config: Any, run_id: str) -> TableVersion:
    """The items chosen by ``config.index`` (a decontaminate config) as ``benchmark_items``."""
    from evaluation.items import publish_items

    lake = open_lakehouse(project)
    index = config.index
    gauntlet = gauntlet_path(index.gauntlet, project.origin)
    with exclusive(lake.root, f"publish-{BENCHMARK_ITEMS_TABLE}", run_id, lock_timeout_s()):
        return publish_items(lake, gauntlet, index.tasks, index.limit, run_id)


#: Input tables written outside the data stages, and what publishes each.
PUBLISHERS: dict[str, Callable[[ProjectConfig, Any, str], TableVersion]] = {
    BENCHMARK_ITEMS_TABLE: publish_benchmark_items,
}


def publish_inputs(
    project: ProjectConfig, stage: str, run_id: str, pinned: dict[str, int] | None = None
) -> list[TableVersion]:
    """Publish the inputs of ``stage`` that ``PUBLISHERS`` writes (not those in ``pinned``)."""
    config = stage_config(project, stage)
    tables = get_stage(stage).input_tables(config)
    return [
        PUBLISHERS[table](project, config, run_id)
        for table in tables
        if table in PUBLISHERS and table not in (pinned or {})
    ]


def run_stage_with_inputs(
    project: ProjectConfig,
    stage: str,
    *,
    run_id: str | None = None,
    inputs: dict[str, int] | None = None,
    **kwargs: Any,
) -> StageResult:
    """``run_stage`` after ``publish_inputs``."""
    run_id = run_id or new_run_id()
    publish_inputs(project, stage, run_id, inputs)
    return run_stage(project, stage, run_id=run_id, inputs=inputs, **kwargs)
