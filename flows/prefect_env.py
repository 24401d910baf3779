"""Prefect defaults for running offline: no telemetry, a project-local home."""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect_env(project_dir: str | Path | None = None) -> None:
    """Set offline-friendly Prefect settings unless the user already chose them."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    if project_dir is not None:
        os.environ.setdefault("PREFECT_HOME", str(Path(project_dir) / ".prefect"))
