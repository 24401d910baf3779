"""The status flow: the lakehouse's tables and each stage's last run, as a markdown artifact."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse
from data_pipeline.status import collect_status, format_status


@task(name="publish-status")
def publish_status(config: str) -> str:
    """Collect the status of ``config``'s lakehouse and publish it under key ``ladder-status``."""
    project = load_project(config)
    markdown = format_status(collect_status(open_lakehouse(project)), markdown=True)
    create_markdown_artifact(
        key="ladder-status", markdown=markdown, description=f"lakehouse {project.lakehouse}"
    )
    return markdown


@flow(name="status")
def status(config: str = "conf/pipeline.yaml") -> str:
    """Publish the lakehouse status as a Prefect markdown artifact."""
    return publish_status(config)
