"""Base versus tuned, side by side: forgetting (general benchmarks) and learning (domain bpb).

Deltas are ``tuned - base``; their standard error treats the two evaluations as independent,
``sqrt(se_base^2 + se_tuned^2)`` (conservative: the items are the same). ``better`` reads the
metric's direction: higher centered accuracy, lower bits per byte, latency and cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def compare(base_rows: list[dict], tuned_rows: list[dict]) -> list[CompareRow]:
    """Rows of both evaluations matched on (task, metric); task rows keep centered accuracy."""
    base = {_key(r): r for r in base_rows}
    tuned = {_key(r): r for r in tuned_rows}
    order = {"composite": 0, "category": 1, "domain": 2, "task": 3, "golden": 4, "latency": 5}
    keys = sorted(
        set(base) | set(tuned),
        key=lambda k: (order.get((base.get(k) or tuned.get(k))["kind"], 9), k),
    )
    out = []
    for key in keys:
        b, t = base.get(key), tuned.get(key)
        kind = (b or t)["kind"]
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
            )
        )
    return out


def _fmt(value: float | None, se: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" + (f" ±{se:.4f}" if se is not None else "")


def format_table(rows: list[CompareRow], base_name: str, tuned_name: str) -> str:
    """A plain-text table for the terminal."""
    head = ("section", "task", "metric", f"base {base_name}", f"tuned {tuned_name}", "delta")
    body = [
        (r.section, r.task, r.metric, _fmt(r.base, r.base_se), _fmt(r.tuned, r.tuned_se),
         (_fmt(r.delta, r.delta_se) + f"  {r.better}") if r.delta is not None else "-")
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
        }
        for r in rows
    ]
