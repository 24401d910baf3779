"""Shared fixtures: one real local Spark session with Delta for the whole test run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
JARS = REPO / "infra" / "jars"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
if JARS.is_dir() and any(JARS.glob("*.jar")):
    os.environ.setdefault("LADDER_SPARK_JARS_DIR", str(JARS))


@pytest.fixture(autouse=True)
def _no_leaked_prefect_api_url():
    """A test whose code points ``PREFECT_API_URL`` at a server it then stops must not send
    the tests after it to that dead server."""
    before = os.environ.get("PREFECT_API_URL")
    yield
    if before is None:
        os.environ.pop("PREFECT_API_URL", None)
    else:
        os.environ["PREFECT_API_URL"] = before


@pytest.fixture(scope="session")
def spark():
    """A real local[2] Spark session with Delta Lake, shared by every test."""
    from data_pipeline.lakehouse.config import SparkSettings
    from data_pipeline.lakehouse.spark import get_spark

    settings = SparkSettings(master="local[2]", driver_memory="3g", shuffle_partitions=2)
    return get_spark(settings)


@pytest.fixture
def write_project(tmp_path, spark):
    """Write a project YAML under ``tmp_path`` and return its path.

    Call with ``sources`` (list of dicts) and optional ``stages``/``pipeline`` sections.
    """

    def write(
        sources: list[dict],
        stages: dict | None = None,
        pipeline: list[str] | None = None,
        name: str = "pipeline.yaml",
    ) -> Path:
        config = {
            "lakehouse": str(tmp_path / "lakehouse"),
            "artifacts": str(tmp_path / "artifacts"),
            "spark": {"master": "local[2]", "shuffle_partitions": 2},
            "sources": sources,
            "pipeline": pipeline or ["ingest"],
            "stages": stages or {},
        }
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    return write
