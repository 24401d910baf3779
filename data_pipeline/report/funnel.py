"""The data funnel of a table version: per stage, reason and source, documents and characters.

``build_funnel(lake, table, version)`` walks lineage back from ``table@version`` through the runs
that made it (``runs`` table) and reads each run's counts, the same names for every stage
(``input``, ``kept``, ``rejected.<filter>.<reason>``, ``quarantined.<reason>``); rows written
under older names are read too (``LEGACY_NAMES``: ingest's ``read``/``ingested``). Characters
come from ``chars.*`` counts when a stage records them (filter does), otherwise from the stage's
output table and the ``rejects``/``quarantine`` rows of that run. ``render_markdown`` and
``render_chart`` (PNG, matplotlib) present it; ``ladder report TABLE@VERSION`` prints it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from data_pipeline.lakehouse.figures import pyplot, save_png
from data_pipeline.lakehouse.lineage import RunLog, RunRecord
from data_pipeline.lakehouse.tables import ArtifactRef, Lakehouse, first_value

# Count names older stage versions wrote -> today's (ingest before 2026-12-02, commit 29483d6)
LEGACY_NAMES = {"read": "input", "ingested": "kept"}
_LEGACY_HEAD = re.compile(r"(source\.[^.]+)?")


@dataclass
class StageFunnel:
    """One stage run's funnel."""

    stage: str
    run_id: str
    output: str
    input: int
    kept: int
    reasons: dict[str, int] = field(default_factory=dict)
    sources: dict[str, tuple[int, int]] = field(default_factory=dict)
    chars_input: int | None = None
    chars_kept: int | None = None
    reason_chars: dict[str, int] = field(default_factory=dict)
    chars_edited: dict[str, int] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return self.input - self.kept


def stage_funnel(run: RunRecord, output: str) -> StageFunnel:
    """Normalise one run's counts (older names included: ``current_names``)."""
    return funnel_from_counts(run.stage, run.run_id, output, run.counts)


def funnel_from_counts(stage: str, run_id: str, output: str, c: dict[str, int]) -> StageFunnel:
    """A stage funnel from a run's counts (legacy names read as today's)."""
    c = current_names(c)
    reasons = {k.removeprefix("rejected."): v for k, v in c.items() if k.startswith("rejected.")}
    reasons |= {
        f"quarantine.{k.removeprefix('quarantined.')}": v
        for k, v in c.items()
        if k.startswith("quarantined.")
    }
    sources = {
        k.split(".")[1]: (v, c.get(k.replace(".input", ".kept"), 0))
        for k, v in c.items()
        if k.startswith("source.") and k.endswith(".input")
    }
    return StageFunnel(
        stage,
        run_id,
        output,
        c.get("input", 0),
        c.get("kept", 0),
        reasons,
        sources,
        c.get("chars.input"),
        c.get("chars.kept"),
        {
            k.removeprefix("chars.rejected."): v
            for k, v in c.items()
            if k.startswith("chars.rejected.")
        },
        {k.removeprefix("chars.edited."): v for k, v in c.items() if k.startswith("chars.edited.")},
    )


def current_names(counts: dict[str, int]) -> dict[str, int]:
    """``counts`` with ``LEGACY_NAMES`` renamed (``read`` -> ``input``, ``source.<name>.read`` ->
    ``source.<name>.input``, ...); a legacy key whose current name is also there is left alone."""
    renamed = dict(counts)
    for key in counts:
        head, dot, last = key.rpartition(".")
        if last in LEGACY_NAMES and _LEGACY_HEAD.fullmatch(head):
            new = f"{head}{dot}{LEGACY_NAMES[last]}"
            if new not in counts:
                renamed[new] = renamed.pop(key)
    return renamed


def build_funnel(lake: Lakehouse, table: str, version: int | None = None) -> list[StageFunnel]:
    """Stage funnels from the first stage to the one that wrote ``table@version``."""
    version = lake.latest_version(table) if version is None else version
    if version is None:
        raise FileNotFoundError(f"table {table!r} does not exist under {lake.root}")
    log = RunLog(lake)
    chain: list[StageFunnel] = []
    current: tuple[str, int] | None = (table, version)
    seen = set()
    while current is not None and current not in seen:
        seen.add(current)
        run = log.producer_of(*current)
        if run is None:
            break
        chain.append(stage_funnel(run, current[0]))
        docs = [t for t in run.inputs if not isinstance(t, ArtifactRef)]
        current = (docs[0].table, docs[0].version) if docs else None
    chain.reverse()
    for step in chain:
        if step.chars_input is None:
            _chars_from_tables(lake, step)
    return chain


def _chars_from_tables(lake: Lakehouse, step: StageFunnel) -> None:
    """Fill characters from the run's output rows and its rejects/quarantine rows."""
    from pyspark.sql import functions as F

    try:
        out = lake.read(step.output)
        if "text" not in out.columns or "run_id" not in out.columns:
            return
        kept = first_value(out.filter(F.col("run_id") == step.run_id).agg(F.sum(F.length("text"))))
        step.chars_kept = int(kept or 0)
        dropped = 0
        for shared, reason_col, prefix in (
            ("rejects", "reason", ""),
            ("quarantine", "reason", "quarantine."),
        ):
            if not lake.exists(shared):
                continue
            df = lake.read(shared).filter(
                (F.col("run_id") == step.run_id) & (F.col("stage") == step.stage)
            )
            text_col = "text" if "text" in df.columns else "raw"
            key = (
                F.concat_ws(".", "filter", reason_col)
                if "filter" in df.columns
                else F.col(reason_col)
            )
            for row in (
                df.groupBy(key.alias("k")).agg(F.sum(F.length(text_col)).alias("c")).collect()
            ):
                step.reason_chars[prefix + row["k"]] = int(row["c"] or 0)
                dropped += int(row["c"] or 0)
        step.chars_input = step.chars_kept + dropped
    except Exception:  # a report must not fail on a stage whose tables it cannot read
        return


def _pct(part: float | None, whole: float | None) -> str:
    return f"{100.0 * part / whole:.1f}%" if part is not None and whole else "-"


def render_markdown(chain: list[StageFunnel], title: str) -> str:
    """The funnel as markdown: stages, then reasons per stage, then sources."""
    if not chain:
        return f"# Funnel of {title}\n\nNo recorded runs produced this table version.\n"
    first = chain[0].input
    lines = [
        f"# Funnel of {title}",
        "",
        "| stage | run | input | kept | rejected | kept of input | kept of first input "
        "| chars kept of input |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in chain:
        lines.append(
            f"| {s.stage} | {s.run_id} | {s.input} | {s.kept} | {s.rejected} | "
            f"{_pct(s.kept, s.input)} | {_pct(s.kept, first)} | "
            f"{_pct(s.chars_kept, s.chars_input)} |"
        )
    for s in chain:
        if not s.reasons:
            continue
        lines += [
            "",
            f"## {s.stage}: why documents were dropped",
            "",
            "| filter.reason | docs | share of stage input | chars | share of stage chars |",
            "|---|---:|---:|---:|---:|",
        ]
        for key, n in sorted(s.reasons.items(), key=lambda kv: -kv[1]):
            c = s.reason_chars.get(key)
            lines.append(
                f"| {key} | {n} | {_pct(n, s.input)} | {c if c is not None else '-'} | "
                f"{_pct(c, s.chars_input)} |"
            )
    for s in chain:
        if not any(s.chars_edited.values()):
            continue
        lines += [
            "",
            f"## {s.stage}: characters cut from kept documents",
            "",
            "| filter | chars | share of stage chars |",
            "|---|---:|---:|",
        ]
        for key, c in sorted(s.chars_edited.items(), key=lambda kv: -kv[1]):
            lines.append(f"| {key} | {c} | {_pct(c, s.chars_input)} |")
    names = sorted({n for s in chain for n in s.sources})
    if names:
        header = " | ".join(f"{s.stage} in→kept" for s in chain)
        lines += ["", "## per source", "", f"| source | {header} |", "|---|" + "---:|" * len(chain)]
        for name in names:
            cells = [
                f"{s.sources[name][0]}→{s.sources[name][1]}" if name in s.sources else "-"
                for s in chain
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_chart(chain: list[StageFunnel], path: str | Path, title: str) -> str:
    """A PNG: documents remaining after each stage, and the largest drop reasons; ``path``
    may be a local path or a URI."""
    plt = pyplot()

    reasons = sorted(
        ((f"{s.stage}: {k}", v) for s in chain for k, v in s.reasons.items()), key=lambda kv: -kv[1]
    )[:12]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8), width_ratios=[1, 1.4])
    labels = ["input"] + [s.stage for s in chain]
    values = [chain[0].input if chain else 0] + [s.kept for s in chain]
    ax1.barh(labels[::-1], values[::-1], color="#4c72b0")
    for y, v in enumerate(values[::-1]):
        ax1.text(v, y, f" {v:,}", va="center", fontsize=8)
    ax1.set_title("documents remaining")
    if reasons:
        ax2.barh([k for k, _ in reasons][::-1], [v for _, v in reasons][::-1], color="#c44e52")
        ax2.set_title("documents dropped, by reason")
        ax2.tick_params(axis="y", labelsize=7)
    else:
        ax2.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return save_png(fig, str(path))
