"""``load_project``: a project file (``conf/pipeline.yaml``), read by
``lakehouse.project.read_project``, with every stage section checked by the stage registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data_pipeline.lakehouse.project import OrchestrationSettings, ProjectConfig, read_project
from data_pipeline.stages import check_stages

__all__ = ["OrchestrationSettings", "ProjectConfig", "load_project"]


def load_project(path: str | Path, overrides: dict[str, Any] | None = None) -> ProjectConfig:
    """Load and validate a project YAML; relative paths resolve against its folder; unknown
    stages and bad stage sections raise ``ConfigError`` naming the file."""
    config = read_project(path, overrides)
    check_stages(config)
    return config
