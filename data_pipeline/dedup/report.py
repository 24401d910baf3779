"""The dedup run report as markdown (published by the flow as a Prefect artifact)."""

from __future__ import annotations

from typing import Any


def markdown_report(counts: dict[str, int], report: dict[str, Any]) -> str:
    """Funnel, banding choice with its S-curve and error areas, and the work done."""
    band = report["banding"]
    total = counts.get("input", 0)
    lines = [
        "## Deduplication",
        "",
        f"**{counts.get('kept', 0):,}** of **{total:,}** documents kept; "
        f"{counts.get('rejected', 0):,} removed "
        f"({counts.get('rejected.exact_hash.exact_duplicate', 0):,} exact, "
        f"{counts.get('rejected.minhash.near_duplicate', 0):,} near duplicates) "
        f"in {counts.get('dedup.clusters', 0):,} clusters. Scope: {report['scope']}.",
        "",
        "| source | input | kept | rejected |",
        "|---|---:|---:|---:|",
    ]
    sources = sorted({k.split(".")[1] for k in counts if k.startswith("source.")})
    for name in sources:
        lines.append(
            f"| {name} | {counts[f'source.{name}.input']:,} | {counts[f'source.{name}.kept']:,} "
            f"| {counts[f'source.{name}.rejected']:,} |"
        )
    lines += [
        "",
        "### LSH banding",
        "",
        f"{band['bands']} bands x {band['rows']} rows of {report['num_perm']} permutations "
        f"({band['chosen_by']}); threshold {band['threshold']}, S-curve midpoint "
        f"~{band['approx_threshold']}. False-positive area {band['fp_area']:.4f}, "
        f"false-negative area {band['fn_area']:.4f}, P(candidate | s = threshold) = "
        f"{band['p_candidate_at_threshold']:.3f}. Verification: "
        f"{'on' if report['verify'] else 'off'}.",
        "",
        "| Jaccard s | " + " | ".join(f"{s:g}" for s, _ in band["s_curve"]) + " |",
        "|---|" + "---:|" * len(band["s_curve"]),
        "| P(candidate) | " + " | ".join(f"{p:.3f}" for _, p in band["s_curve"]) + " |",
        "",
        "### Work",
        "",
        f"- signatures computed {counts.get('dedup.signatures_computed', 0):,}, reused "
        f"{counts.get('dedup.signatures_reused', 0):,} ({report['prior_state']})",
        f"- candidate pairs {counts.get('dedup.candidate_pairs', 0):,}, verified "
        f"{counts.get('dedup.verified_pairs', 0):,}, oversized buckets "
        f"{counts.get('dedup.oversized_buckets', 0):,}",
        f"- connected components: {counts.get('dedup.cc_rounds', 0)} rounds",
        f"- survivor rule: {', '.join(report['survivor_rule'])}",
        "- seconds per phase: "
        + ", ".join(f"{k} {v:.1f}" for k, v in report["phase_seconds"].items()),
    ]
    return "\n".join(lines) + "\n"
