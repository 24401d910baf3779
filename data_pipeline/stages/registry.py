"""The stage registry: each stage declares its config model, inputs and run function.

Stage modules register themselves (``register_stage``) when imported; the package
``data_pipeline.stages`` imports the built-in ones. The registry imports no stage: it parses a
project's stage sections (``stage_config``, ``check_stages``) for whatever is registered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pyspark.sql import DataFrame, SparkSession

from data_pipeline.lakehouse.config import ConfigError, StrictModel, parse_model
from data_pipeline.lakehouse.project import ProjectConfig
from data_pipeline.lakehouse.tables import Lakehouse, Ref, TableVersion, TableWrite

ProgressFn = Callable[[str, float | None], None]
C = TypeVar("C", bound=StrictModel)


def _no_progress(message: str, fraction: float | None) -> None:
    return None


@dataclass
class StageContext(Generic[C]):
    """What a stage function gets: Spark, the lakehouse, its typed config and pinned inputs."""

    spark: SparkSession
    lakehouse: Lakehouse
    project: ProjectConfig
    config: C
    run_id: str
    started_at: dt.datetime
    inputs: dict[str, TableVersion] = field(default_factory=dict)
    progress: ProgressFn = _no_progress

    def read(self, table: str) -> DataFrame:
        """The pinned version of one of the stage's input tables."""
        pinned = self.inputs[table]
        return self.lakehouse.read(table, pinned.version)


@dataclass
class StageOutput:
    """Tables to commit (in order; the main output last), counts, and extras for reports.

    ``report`` is free-form; a ``markdown`` entry is published by the flow as a Prefect markdown
    artifact, and ``files`` (paths of charts etc.) are listed with it.

    ``verify`` runs after the commits with the written versions and raises if the committed
    data does not add up. ``persisted`` DataFrames are unpersisted once everything is written.
    ``artifacts``: refs of artifacts the stage registered (``Artifact.ref``), listed among the
    run's outputs after its tables.
    """

    writes: list[TableWrite]
    counts: dict[str, int]
    report: dict[str, Any] = field(default_factory=dict)
    verify: Callable[[dict[str, TableVersion]], None] | None = None
    persisted: list[DataFrame] = field(default_factory=list)
    artifacts: list[Ref] = field(default_factory=list)


@dataclass(frozen=True)
class StageSpec:
    """A registered stage.

    ``preflight(project, config)`` runs before Spark starts and raises ``ConfigError`` (naming
    the config file) for what can be seen without data, such as a source with no files.
    """

    name: str
    config_model: type[StrictModel]
    run: Callable[[StageContext], StageOutput]
    inputs: tuple[str, ...] | Callable[[Any], tuple[str, ...]] = ()
    outputs: tuple[str, ...] = ()
    description: str = ""
    config_view: Callable[[StageContext], dict] | None = None
    fingerprint: Callable[[StageContext], Any] | None = None
    preflight: Callable[[ProjectConfig, Any], None] | None = None

    def input_tables(self, config: Any) -> tuple[str, ...]:
        """Tables this stage reads; a callable ``inputs`` derives them from the config."""
        return self.inputs(config) if callable(self.inputs) else self.inputs


STAGES: dict[str, StageSpec] = {}


def register_stage(spec: StageSpec) -> StageSpec:
    if spec.name in STAGES and STAGES[spec.name] is not spec:
        raise ValueError(f"stage {spec.name!r} registered twice")
    STAGES[spec.name] = spec
    return spec


def get_stage(name: str) -> StageSpec:
    """The registered stage ``name`` (``ConfigError`` naming the known ones otherwise)."""
    if name not in STAGES:
        raise ConfigError(f"unknown stage {name!r}; known stages: {sorted(STAGES)}")
    return STAGES[name]


def stage_config(project: ProjectConfig, stage: str) -> Any:
    """The typed config of ``stage`` (its section of ``stages:``, defaults filled in)."""
    spec = get_stage(stage)
    origin = project.stage_files.get(stage) or f"{project.origin}: stages.{stage}"
    return parse_model(spec.config_model, project.stages.get(stage, {}), origin)


def check_stages(project: ProjectConfig) -> None:
    """Every stage the project names is registered and its section parses (``ConfigError``)."""
    for name in list(project.stages) + project.pipeline:
        if name not in STAGES:
            raise ConfigError(
                f"{project.origin}: unknown stage {name!r}; known stages: {sorted(STAGES)}"
            )
    for name in project.stages:
        stage_config(project, name)
