"""The verdict of an ablation as text, chart and the ``ablation_results`` Delta table.

``ablation_results``: one row per (variant, figure) of an ablation run, plus one ``status`` row
per variant that was refused or failed. Each row names the variant's document table version,
shard set, proxy models and the evaluation's held-out table version; the run is recorded in
``runs`` (stage ``ablate``) with all of them as inputs, so ``ladder lineage
ablation_results@V`` walks from a row back to the raw files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pyspark.sql.types import (
    BooleanType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from data_pipeline.lakehouse.figures import pyplot, save_png
from evaluation.ablation import VariantFigures

_COLUMNS = [
    ("ablation", StringType()), ("run_id", StringType()), ("variant", StringType()),
    ("status", StringType()), ("rank", IntegerType()), ("metric", StringType()),
    ("value", DoubleType()), ("ci_low", DoubleType()), ("ci_high", DoubleType()),
    ("seeds", IntegerType()), ("distinct_from_best", BooleanType()), ("docs", LongType()),
    ("tokens", LongType()), ("docs_table", StringType()), ("shards", StringType()),
    ("models", StringType()), ("heldout", StringType()), ("error", StringType()),
    ("created_at", TimestampType()),
]  # fmt: skip
SCHEMA = StructType([StructField(name, kind, True) for name, kind in _COLUMNS])


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def verdict_text(ranked: list[VariantFigures], data: dict[str, dict], confidence: float) -> str:
    """The ranked table (figures as rows, variants as columns) and the verdict lines."""
    names = [f"#{f.rank} {f.variant}" for f in ranked]
    metrics = list(ranked[0].figures) if ranked else []
    rows = [("documents kept", [f"{data[f.variant]['docs']:,}" for f in ranked])]
    rows.append(("tokens (shard set)", [f"{data[f.variant]['tokens']:,}" for f in ranked]))
    for metric in metrics:
        cells = []
        for f in ranked:
            e = f.figures.get(metric)
            cells.append(f"{_fmt(e.value)} [{_fmt(e.low)}, {_fmt(e.high)}]" if e else "-")
        rows.append((metric + (" (lower better)" if metric.startswith("bpb/") else ""), cells))
    width = [max(len(r[0]) for r in [("figure", []), *rows])]
    width += [max(len(n), *(len(r[1][i]) for r in rows)) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        return "  ".join(t.ljust(w) for t, w in zip(cells, width, strict=True)).rstrip()

    lines = [line(["figure", *names])] + [line([r[0], *r[1]]) for r in rows]
    lines.append(f"intervals: {100 * confidence:.0f}% bootstrap over seeds and items")
    for f in ranked[1:]:
        low, high = f.diff_to_best or (0.0, 0.0)
        word = "better than" if f.distinct_from_best else "NOT distinguishable from"
        lines.append(
            f"#1 {ranked[0].variant} {word} #{f.rank} {f.variant} at this budget "
            f"(composite difference {100 * confidence:.0f}% interval [{_fmt(low)}, {_fmt(high)}])"
        )
    return "\n".join(lines)


def result_rows(
    ablation: str, run_id: str, ranked: list[VariantFigures], data: dict[str, dict],
    heldout: str | None, seeds: int,
) -> list[tuple]:  # fmt: skip
    """Rows of ``ablation_results``; ``data[variant]`` holds status, docs, tokens, refs."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    by_name = {f.variant: f for f in ranked}
    rows: list[tuple] = []
    for name, d in data.items():
        common = (d.get("docs"), d.get("tokens"), d.get("docs_table"), d.get("shards"),
                  ",".join(d.get("models", [])), heldout)  # fmt: skip
        f = by_name.get(name)
        if f is None:
            rows.append((ablation, run_id, name, d["status"], None, "status", None, None, None,
                         seeds, None, *common, d.get("error"), now))  # fmt: skip
            continue
        for metric, e in f.figures.items():
            rows.append((ablation, run_id, name, "scored", f.rank, metric, e.value, e.low, e.high,
                         seeds, f.distinct_from_best, *common, None, now))  # fmt: skip
    return rows


def write_ablation_results(
    lakehouse, table: str, rows: list[tuple], run_id: str, config: dict, inputs: list,
    started_at: dt.datetime,
):  # fmt: skip
    """Append the rows in one idempotent commit and record the run (stage ``ablate``)."""
    from data_pipeline.lakehouse.recording import recorded_run
    from data_pipeline.lakehouse.tables import CommitInfo, TableWrite

    stage = "ablate"
    df = lakehouse.spark.createDataFrame(rows, SCHEMA)
    with recorded_run(lakehouse, stage, run_id, inputs, config, started_at=started_at,
                      announce=False) as record:  # fmt: skip
        commit = CommitInfo(run_id, stage, record.config_hash, record.code_version, tuple(inputs))
        written = lakehouse.write(TableWrite(table, df, mode="append", schema=SCHEMA), commit)
        record.outputs, record.counts = [written], {"rows": len(rows)}
    return written


def verdict_chart(ranked: list[VariantFigures], path: str | Path, title: str) -> Path:
    """Composite per variant and bits per byte per domain, each with its interval."""
    plt = pyplot()

    path = Path(path)
    names = [f"#{f.rank} {f.variant}" for f in ranked]
    domains = [m for m in (ranked[0].figures if ranked else {}) if m.startswith("bpb/")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))

    def bars(ax, ys: list, label: str, offset: float = 0.0, width: float = 0.8) -> None:
        vals = [e.value for e in ys]
        err = [[e.value - e.low for e in ys], [e.high - e.value for e in ys]]
        ax.bar([i + offset for i in range(len(ys))], vals, width, yerr=err, capsize=3, label=label)

    comp = [f.figures["composite"] for f in ranked]  # points: the values sit close together
    err = [[e.value - e.low for e in comp], [e.high - e.value for e in comp]]
    axes[0].errorbar(range(len(comp)), [e.value for e in comp], yerr=err, fmt="o", capsize=4)
    axes[0].set_title("composite with its interval (higher is better)")
    step = 0.8 / max(1, len(domains))
    for j, domain in enumerate(domains):
        ys = [f.figures[domain] for f in ranked]
        bars(axes[1], ys, domain.removeprefix("bpb/"), -0.4 + step * (j + 0.5), step)
    axes[1].set_title("bits per byte per held-out domain (lower is better)")
    if domains:
        axes[1].legend(fontsize=7)
    for ax in axes:
        ax.set_xticks(range(len(names)), names, rotation=15, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    save_png(fig, str(path))
    return path


def summary(data: dict[str, Any]) -> list[str]:
    """One line per variant that was not scored (refused or failed)."""
    return [f"{n}: {d['status']}: {d.get('error')}" for n, d in data.items() if d.get("error")]
