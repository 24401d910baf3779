"""Base versus tuned, side by side: forgetting (general benchmarks) and learning (domain bpb).

Deltas are ``tuned - base``; their standard error treats the two evaluations as independent,
``sqrt(se_base^2 + se_tuned^2)`` (conservative: the items are the same). ``better`` reads the
metric's direction: higher centered accuracy, lower bits per byte, latency and cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CONTAMINATION = "contamination"
LOWER_IS_BETTER = ("bits_per_byte", "token_perplexity", "ttft_s", "cost_usd_per_mtok", "latency")
SECTIONS = {
    "composite": "general (forgetting)",
    "category": "general (forgetting)",
    "task": "general (forgetting)",
    "domain": "domain (learning)",
    "golden": "golden set",
    "latency": "cost and latency",
}


@dataclass
class CompareRow:
    section: str
    task: str
    metric: str
    base: float | None
    base_se: float | None
    tuned: float | None
    tuned_se: float | None
    contamination: str = ""

    @property
    def delta(self) -> float | None:
        if self.base is None or self.tuned is None:
            return None
        return self.tuned - self.base

    @property
    def delta_se(self) -> float | None:
        if self.base_se is None or self.tuned_se is None:
            return None
        return math.sqrt(self.base_se**2 + self.tuned_se**2)

    @property
    def better(self) -> str:
        """``tuned``, ``base`` or ``~`` (delta within two standard errors or unknown)."""
        d, se = self.delta, self.delta_se
        if d is None or se is None or abs(d) <= 2 * se:
            return "~"
        lower = any(key in self.metric for key in LOWER_IS_BETTER)
        return "tuned" if (d < 0) == lower else "base"


def _key(row: dict) -> tuple[str, str]:
    return row["task"], row["metric"]


def contamination_cell(rows: list[dict], task: str) -> str:
    """``found/evaluated clean=<score>`` from an evaluation's contamination rows; ``-`` when the
    model has no training lineage (a base model)."""
    mine = {r["metric"]: r for r in rows if r["kind"] == CONTAMINATION and r["task"] == task}
    found = mine.get("contaminated_items")
    if found is None:
        return "-"
    clean = next((r for m, r in mine.items() if m.startswith("clean_")), None)
    text = f"{int(found['value'])}/{found['n']}"
    if clean is not None and clean["value"] is not None and int(found["value"]):
        text += f" clean={clean['value']:.4f}"
    return text


def compare(base_rows: list[dict], tuned_rows: list[dict]) -> list[CompareRow]:
    """Rows of both evaluations matched on (task, metric); task rows keep centered accuracy.

    Task rows carry a contamination cell ``base | tuned`` (``contamination_cell``)."""
    base = {_key(r): r for r in base_rows if r["kind"] != CONTAMINATION}
    tuned = {_key(r): r for r in tuned_rows if r["kind"] != CONTAMINATION}
    order = {"composite": 0, "category": 1, "domain": 2, "task": 3, "golden": 4, "latency": 5}
    keys = sorted(
        set(base) | set(tuned),
        key=lambda k: (order.get((base.get(k) or tuned[k])["kind"], 9), k),
    )
    out = []
    for key in keys:
        b, t = base.get(key), tuned.get(key)
        kind = (b or tuned[key])["kind"]
        if kind == "task" and key[1] != "centered_acc":
            continue
        out.append(
            CompareRow(
                SECTIONS.get(kind, kind),
                key[0],
                key[1],
                b["value"] if b else None,
                b["stderr"] if b else None,
                t["value"] if t else None,
                t["stderr"] if t else None,
                (
                    f"{contamination_cell(base_rows, key[0])} | "
                    f"{contamination_cell(tuned_rows, key[0])}"
                )
                if kind == "task"
                else "",
            )
        )
    return out


def _fmt(value: float | None, se: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" + (f" ±{se:.4f}" if se is not None else "")


def format_table(rows: list[CompareRow], base_name: str, tuned_name: str) -> str:
    """A plain-text table for the terminal."""
    head = (
        "section",
        "task",
        "metric",
        f"base {base_name}",
        f"tuned {tuned_name}",
        "delta",
        "contamination (base | tuned)",
    )
    body = [
        (r.section, r.task, r.metric, _fmt(r.base, r.base_se), _fmt(r.tuned, r.tuned_se),
         (_fmt(r.delta, r.delta_se) + f"  {r.better}") if r.delta is not None else "-",
         r.contamination)
        for r in rows
    ]  # fmt: skip
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]

    def line(cells) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(head), "  ".join("-" * w for w in widths), *map(line, body)])


def table_records(rows: list[CompareRow]) -> list[dict]:
    """Rows for a Prefect table artifact."""
    return [
        {
            "section": r.section,
            "task": r.task,
            "metric": r.metric,
            "base": _fmt(r.base, r.base_se),
            "tuned": _fmt(r.tuned, r.tuned_se),
            "delta": _fmt(r.delta, r.delta_se),
            "better": r.better,
            "contamination": r.contamination,
        }
        for r in rows
    ]
