"""Explain mode of the filter stage (``ladder stage filter CONFIG --explain``): the configured
chain on a seeded sample of the input table, with counts per filter and reason and a few
examples per reason. Nothing is written.

It sits above the runner: the stage context comes from ``runner.make_context``.
"""

from __future__ import annotations

from data_pipeline.lakehouse.project import ProjectConfig
from data_pipeline.runner import make_context, open_lakehouse
from data_pipeline.stages.filter import chain_spec, filter_input
from data_pipeline.stages.filter_sample import Explanation, explain_docs, sample_docs


def explain(
    project: ProjectConfig,
    sample: int = 2000,
    inputs: dict[str, int] | None = None,
    examples: int = 3,
) -> Explanation:
    """The filter chain on about ``sample`` documents (default 2000) with ``examples`` examples
    per reason. ``inputs`` pins the input table version (``{table: version}``; latest by
    default)."""
    lake = open_lakehouse(project)
    ctx = make_context(project, lake, "filter", "explain", inputs)
    df = filter_input(ctx)
    docs = sample_docs(df, sample)
    return explain_docs(chain_spec(ctx, df), docs, examples)


def explain_stage(config_path: str, stage: str, sample: int, inputs: dict[str, int] | None) -> str:
    """``ladder stage NAME CONFIG --explain``: the plain-text explanation (filter stage only)."""
    from data_pipeline.project import load_project

    if stage != "filter":
        raise ValueError(f"--explain is available for the filter stage, not {stage!r}")
    return explain(load_project(config_path), sample, inputs or None).format()
