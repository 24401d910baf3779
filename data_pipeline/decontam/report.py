"""The decontamination report: per task, items found in the corpus and documents affected."""

from __future__ import annotations

from pathlib import Path

from data_pipeline.lakehouse.figures import pyplot, save_png


def task_rows(stats: dict[str, dict[str, int]], found: dict[str, dict[str, int]]) -> list[dict]:
    """One row per indexed task: items, indexed items, items found, documents, hits."""
    rows = []
    for task, s in stats.items():
        f = found.get(task, {})
        rows.append(
            {
                "task": task,
                "items": s.get("items", 0),
                "indexed": s.get("indexed", 0),
                "ngrams": s.get("ngrams", 0),
                "items_found": f.get("items", 0),
                "docs": f.get("docs", 0),
                "hits": f.get("hits", 0),
            }
        )
    return rows


def markdown(rows: list[dict], counts: dict[str, int], digest: str) -> str:
    lines = [
        f"### Decontamination (index {digest[:12]})",
        "",
        f"documents: input {counts['input']:,}, kept {counts['kept']:,} "
        f"(cut {counts.get('decontam.docs_cut', 0):,}), dropped {counts['rejected']:,}; "
        f"characters removed {counts['chars.input'] - counts['chars.kept']:,}",
        "",
        "| task | items | indexed | n-grams | items found | documents | hits |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['items']} | {r['indexed']} | {r['ngrams']} | "
            f"{r['items_found']} | {r['docs']} | {r['hits']} |"
        )
    return "\n".join(lines)


def render_chart(rows: list[dict], path: str | Path, title: str) -> str:
    """A PNG bar chart: share of each task's items found in the corpus (``path``: a local path
    or a URI)."""
    plt = pyplot()

    names = [r["task"] for r in rows][::-1]
    shares = [r["items_found"] / max(1, r["items"]) for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(rows) + 1.5))
    ax.barh(names, shares, color="#c44e52")
    for y, r in enumerate(rows[::-1]):
        ax.text(shares[y], y, f" {r['items_found']}/{r['items']}", va="center", fontsize=7)
    ax.set_xlim(0, max(0.05, max(shares, default=0) * 1.3))
    ax.set_xlabel("share of evaluated items found in the corpus")
    ax.set_title(title)
    fig.tight_layout()
    return save_png(fig, str(path))
