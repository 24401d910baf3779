"""Prefect flows of the evaluation: one model (``evaluate``), base versus tuned (``compare``).

Each evaluated model is a task that publishes a progress artifact and a table artifact of its
rows; the compare flow adds the side-by-side table (terminal and artifact) and a PNG chart of
per-category centered accuracy, base vs tuned. ``demo_evaluation`` is the last step of the
end-to-end chain (``make demo``).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from data_pipeline.decontam.training_data import items_in_training_data
from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.names import RunId
from data_pipeline.project import load_project
from data_pipeline.runner import new_run_id, open_lakehouse
from evaluation.compare import compare, format_table, table_records
from evaluation.config import load_eval_config
from evaluation.report import category_chart, gauntlet_text, task_times
from evaluation.run import evaluate_model
from flows import terminal
from flows.stage_tasks import new_progress_artifact

DEFAULT_CONFIG = "conf/eval/eval.yaml"
BASE_MODEL = "smollm2-135m-instruct"


def _key(*parts: str) -> str:
    raw = "-".join(parts).lower()
    return "".join(c if c.isalnum() or c == "-" else "-" for c in raw)[:100].strip("-")


@task(name="evaluate-model", task_run_name="evaluate {model}")
def evaluate_model_task(
    config: str,
    model: str,
    run_id: str,
    tasks: list[str] | None = None,
    limit: int | None = None,
    perplexity: bool = True,
    golden: bool = False,
    latency: bool = False,
) -> dict[str, Any]:
    """Evaluate one model and publish its rows as a table artifact."""
    logger = get_run_logger()
    progress_id = new_progress_artifact(_key("eval-progress", run_id[-6:]))

    def progress(message: str, fraction: float | None) -> None:
        logger.info(message)
        terminal.report(model, message, fraction)
        if fraction is not None:
            update_progress_artifact(progress_id, 100.0 * fraction)

    out = evaluate_one(
        config, model, run_id, tasks, limit, perplexity, golden, latency, progress=progress
    )
    terminal.done(model, f"{len(out['rows'])} result rows")
    create_table_artifact(
        key=_key("eval", out["slug"]),
        table=[
            {k: r[k] for k in ("task", "metric", "value", "stderr", "n", "kind")}
            for r in out["rows"]
        ],
        description=f"evaluation of {out['model']}, run {run_id}",
    )
    return out


def evaluate_one(
    config: str,
    model: str,
    run_id: str,
    tasks: list[str] | None = None,
    limit: int | None = None,
    perplexity: bool = True,
    golden: bool = False,
    latency: bool = False,
    *,
    progress=None,
) -> dict[str, Any]:
    """Evaluate one model (no Prefect): its rows, results table version and report text."""
    cfg = load_eval_config(config)
    project = load_project(cfg.project)
    lakehouse = open_lakehouse(project)
    ev = evaluate_model(
        cfg, model, lakehouse, project.artifacts, run_id=run_id, tasks=tasks, limit=limit,
        perplexity=perplexity, golden=golden, latency=latency, progress=progress,
        contamination=items_in_training_data,
    )  # fmt: skip
    return {
        "model": ev.model.artifact_id,
        "slug": ev.model.slug,
        "rows": ev.row_dicts(),
        "results": str(ev.results_version),
        "text": gauntlet_text(ev.report) if ev.report else "",
        "task_times": task_times(ev.report),
        "mlflow_run_id": ev.mlflow_run_id,
    }


def _add_chart(out: dict[str, Any], config: str, run_id: str) -> dict[str, Any]:
    """One model's category chart, when its rows have categories."""
    if any(r["kind"] == "category" for r in out["rows"]):
        out["chart"] = str(category_chart({out["model"]: out["rows"]}, _chart_path(config, run_id)))
    return out


def _side_by_side(b: dict, t: dict, config: str, run_id: str) -> tuple[list, str, str]:
    """Rows with deltas, the table text (with task times) and the chart of base vs tuned."""
    rows = compare(b["rows"], t["rows"])
    text = format_table(rows, b["model"], t["model"])
    text += f"\n\nbase  {b['task_times']}\ntuned {t['task_times']}"
    chart = category_chart(
        {f"base {b['model']}": b["rows"], f"tuned {t['model']}": t["rows"]},
        _chart_path(config, run_id),
        title="centered accuracy by category: base vs tuned",
    )
    return rows, text, str(chart)


def _one_plain(config: str, model: str, run_id: str, *args) -> dict[str, Any]:
    out = evaluate_one(
        config, model, run_id, *args, progress=lambda m, f: terminal.report(model, m, f)
    )
    terminal.done(model, f"{len(out['rows'])} result rows")
    return out


def evaluate_plain(
    model: str = BASE_MODEL,
    config: str = DEFAULT_CONFIG,
    tasks: list[str] | None = None,
    limit: int | None = None,
    run_id: str | None = None,
    perplexity: bool = True,
    golden: bool = False,
    latency: bool = False,
) -> dict[str, Any]:
    """``evaluate`` without Prefect (``--no-prefect``): the same result, no artifacts."""
    run_id = run_id or new_run_id()
    out = _one_plain(config, model, run_id, tasks, limit, perplexity, golden, latency)
    return _add_chart(out, config, run_id)


def compare_plain(
    base: str,
    tuned: str,
    config: str = DEFAULT_CONFIG,
    tasks: list[str] | None = None,
    limit: int | None = None,
    run_id: str | None = None,
    golden: bool = False,
    latency: bool = False,
) -> dict[str, Any]:
    """``compare_models`` without Prefect (``--no-prefect``): the same result, no artifacts."""
    run_id = run_id or new_run_id()
    b = _one_plain(config, base, run_id, tasks, limit, True, golden, latency)
    t = _one_plain(config, tuned, run_id, tasks, limit, True, golden, latency)
    _, text, chart = _side_by_side(b, t, config, run_id)
    return {"base": b, "tuned": t, "table": text, "chart": chart, "run_id": run_id}


def _chart_path(config: str, run_id: str) -> str:
    project = load_project(load_eval_config(config).project)
    return storage.join(str(project.artifacts), "eval", run_id, "categories.png")


@flow(name="evaluate", log_prints=True)
def evaluate(
    model: str = BASE_MODEL,
    config: str = DEFAULT_CONFIG,
    tasks: list[str] | None = None,
    limit: int | None = None,
    run_id: RunId | None = None,
    perplexity: bool = True,
    golden: bool = False,
    latency: bool = False,
) -> dict[str, Any]:
    """Evaluate one model (gauntlet, domain perplexity, optionally golden set and latency)."""
    run_id = run_id or new_run_id()
    out = evaluate_model_task(config, model, run_id, tasks, limit, perplexity, golden, latency)
    _add_chart(out, config, run_id)
    if out["text"]:
        print(out["text"])
        create_markdown_artifact(
            key=_key("eval-report"),
            markdown=f"# Evaluation of `{out['model']}`\n\n```\n{out['text']}\n```\n\n"
            f"Chart: `{out.get('chart', '-')}`; rows in `{out['results']}`.",
            description=f"evaluation run {run_id}",
        )
    return out


@flow(name="evaluate-compare", log_prints=True)
def compare_models(
    base: str,
    tuned: str,
    config: str = DEFAULT_CONFIG,
    tasks: list[str] | None = None,
    limit: int | None = None,
    run_id: RunId | None = None,
    golden: bool = False,
    latency: bool = False,
) -> dict[str, Any]:
    """Evaluate base and tuned in one run; print and publish them side by side with deltas."""
    run_id = run_id or new_run_id()
    b = evaluate_model_task(config, base, run_id, tasks, limit, True, golden, latency)
    t = evaluate_model_task(config, tuned, run_id, tasks, limit, True, golden, latency)
    rows, text, chart = _side_by_side(b, t, config, run_id)
    print(text)
    create_table_artifact(
        key="eval-compare",
        table=table_records(rows),
        description=f"base {b['model']} vs tuned {t['model']} (run {run_id}); delta = tuned - base",
    )
    create_markdown_artifact(
        key="eval-compare-report",
        markdown=f"# Base vs tuned\n\n```\n{text}\n```\n\nChart: `{chart}`",
        description=f"run {run_id}",
    )
    return {"base": b, "tuned": t, "table": text, "chart": chart, "run_id": run_id}


def demo_evaluation(
    tuned: str,
    base: str = BASE_MODEL,
    config: str = DEFAULT_CONFIG,
    limit: int = 10,
    tasks: list[str] | None = None,
) -> dict[str, Any]:
    """The end of ``make demo``: tuned vs base on a limited gauntlet plus domain perplexity.

    Prints the comparison table to the terminal (a print inside a flow goes to Prefect's log).
    """
    out = compare_models(base=base, tuned=tuned, config=config, tasks=tasks, limit=limit)
    print(out["table"])
    print(f"\nchart: {out['chart']}")
    return out
