"""Charts and text summaries of evaluation results."""

from __future__ import annotations

from pathlib import Path

from data_pipeline.lakehouse.figures import pyplot, save_png
from evaluation.gauntlet import GauntletReport


def category_chart(series: dict[str, list[dict]], out: str | Path, title: str = "") -> str:
    """PNG of per-category centered accuracy (plus composites), one bar per model, written to
    ``out`` (a local path or an object-store URI, in one write).

    ``series`` maps a model label to its ``eval_results`` rows.
    """
    plt = pyplot()

    labels: list[str] = []
    for rows in series.values():
        for r in rows:
            if r["kind"] in ("category", "composite") and r["task"] not in labels:
                labels.append(r["task"])
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(labels)), 4))
    width = 0.8 / max(1, len(series))
    for i, (name, rows) in enumerate(series.items()):
        by = {r["task"]: r for r in rows}
        values = [by[t]["value"] if t in by and by[t]["value"] is not None else 0 for t in labels]
        errs = [by[t]["stderr"] or 0 if t in by else 0 for t in labels]
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(labels))]
        ax.bar(xs, values, width, yerr=errs, label=name, capsize=2)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([t.split("/", 1)[-1] for t in labels], rotation=30, ha="right", fontsize=8)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel("centered accuracy (0 = chance)")
    ax.set_title(title or "gauntlet categories")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_png(fig, str(out), dpi=100)


def gauntlet_text(report: GauntletReport) -> str:
    """Tasks, categories and composites as plain text, with the composite definitions."""
    lines = [f"{'task':<20}{'category':<26}{'metric':<12}{'value':>8}{'±se':>8}{'n':>6}"
             f"{'rb':>6}{'centered':>10}{'seconds':>9}"]  # fmt: skip
    for r in report.tasks:
        lines.append(
            f"{r.task:<20}{r.category:<26}{r.metric:<12}{r.value:>8.4f}{r.stderr:>8.4f}{r.n:>6}"
            f"{r.random_baseline:>6.2f}{r.centered:>10.4f}{r.seconds:>9.1f}"
        )
    lines.append("")
    for cat, (value, se) in report.categories.items():
        lines.append(f"category {cat:<28} {value:>8.4f} ±{se:.4f}")
    for comp in report.composites:
        lines.append(f"composite {comp.name:<27} {comp.value:>8.4f} ±{comp.stderr:.4f}")
        lines.append(f"  {comp.note}")
    lines.append(task_times(report))
    return "\n".join(lines)


def task_times(report: GauntletReport | None) -> str:
    """``seconds per task: a 12.0, b 340.5`` (slowest first): a slow task is seen at once."""
    if report is None or not report.tasks:
        return "seconds per task: -"
    ranked = sorted(report.tasks, key=lambda r: -r.seconds)
    return "seconds per task: " + ", ".join(f"{r.task} {r.seconds:.1f}" for r in ranked)
