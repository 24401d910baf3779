"""Markdown report of one filter-stage run (published by the flow as a Prefect artifact)."""

from __future__ import annotations


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def filter_markdown(counts: dict[str, int], examples: list[dict] | None = None) -> str:
    """Counts per reason and source (documents and characters) and a few examples per reason."""
    n, chars = counts.get("input", 0), counts.get("chars.input", 0)
    lines = [
        "## filter",
        "",
        f"{n} documents in, {counts.get('kept', 0)} kept ({_pct(counts.get('kept', 0), n)}), "
        f"{counts.get('rejected', 0)} rejected; characters kept "
        f"{_pct(counts.get('chars.kept', 0), chars)}.",
        "",
        "| filter | reason | docs | share of docs | chars | share of chars |",
        "|---|---|---:|---:|---:|---:|",
    ]
    reasons = sorted(
        ((k.removeprefix("rejected."), v) for k, v in counts.items() if k.startswith("rejected.")),
        key=lambda kv: -kv[1],
    )
    for key, docs in reasons:
        flt, _, reason = key.partition(".")
        c = counts.get(f"chars.rejected.{key}", 0)
        lines.append(f"| {flt} | {reason} | {docs} | {_pct(docs, n)} | {c} | {_pct(c, chars)} |")
    lines += ["", "| source | input | kept | rejected | kept share |", "|---|---:|---:|---:|---:|"]
    sources = sorted({k.split(".")[1] for k in counts if k.startswith("source.")})
    for s in sources:
        i, k = counts.get(f"source.{s}.input", 0), counts.get(f"source.{s}.kept", 0)
        lines.append(
            f"| {s} | {i} | {k} | {counts.get(f'source.{s}.rejected', 0)} | {_pct(k, i)} |"
        )
    langs = sorted(
        (
            (k.split(".")[1], v)
            for k, v in counts.items()
            if k.startswith("lang.") and k.endswith(".input")
        ),
        key=lambda kv: -kv[1],
    )
    if langs:
        lines += ["", "| language | input | kept |", "|---|---:|---:|"]
        for lang, i in langs[:20]:
            lines.append(f"| {lang} | {i} | {counts.get(f'lang.{lang}.kept', 0)} |")
    other = sorted(
        k
        for k in counts
        if k.split(".")[0] in ("skipped", "edited", "redacted", "tagged", "errors", "time_ms")
    )
    if other:
        lines += ["", "| event | count |", "|---|---:|"]
        lines += [f"| {k} | {counts[k]} |" for k in other]
    if examples:
        lines += ["", "### examples per reason", ""]
        for ex in examples:
            text = " ".join((ex.get("text") or "").split())[:200].replace("|", "\\|")
            lines.append(
                f"- **{ex['filter']}/{ex['reason']}** ({ex['source']}, {ex['lang']}): {text}"
            )
    return "\n".join(lines) + "\n"
