"""Fuzzy dedup speed, ladder vs datatrove, side by side in one run (documents/s per core).

    .venv/bin/python -m bench.dedup.speed [--docs 100000] [--cores 1] [--repeat 1]

Both run the whole fuzzy dedup on the same Parquet corpus (bench/dedup/corpus.py
``scaled_corpus``) with word 5-grams and 14 bands x 8 rows (112 permutations): signatures ->
buckets -> clusters -> filter + write the kept documents. datatrove 0.10.1 runs in
bench/.venv-datatrove (created on first use) with ``--cores`` workers; ladder runs its Spark
engine on ``local[cores]``, once with exact-Jaccard verification (its default) and once
without (datatrove does not verify). Runs alternate so both see the same machine load.
Writes bench/out/dedup/speed.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench.dedup import baseline_venv
from bench.dedup.common import OUT, REPO, load_average, save
from bench.dedup.corpus import scaled_corpus


def _run(cmd: list[str]) -> dict:
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--cores", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    folder = OUT / f"scaled_{args.docs}"
    scaled_corpus(args.docs, folder)
    dt_python = str(baseline_venv.ensure())
    work = OUT / "work"
    runs: dict[str, list[dict]] = {"datatrove": [], "ladder_verify": [], "ladder_no_verify": []}
    loads = [load_average()]
    ladder = [sys.executable, "-m", "bench.dedup.ladder_minhash", str(folder), str(work / "ladder")]
    ladder += ["--cores", str(args.cores), "--bands", "14", "--rows", "8", "--num-perm", "112"]
    baseline = [dt_python, str(REPO / "bench/dedup/datatrove_minhash.py"), str(folder)]
    baseline += [str(work / "datatrove"), "--workers", str(args.cores)]
    baseline += ["--ngrams", "5", "--bands", "14", "--rows", "8"]
    for _ in range(args.repeat):
        runs["datatrove"].append(_run(baseline))
        print("datatrove", runs["datatrove"][-1], flush=True)
        runs["ladder_verify"].append(_run(ladder))
        print("ladder (verify)", runs["ladder_verify"][-1], flush=True)
        runs["ladder_no_verify"].append(_run([*ladder, "--no-verify"]))
        print("ladder (no verify)", runs["ladder_no_verify"][-1], flush=True)
        loads.append(load_average())
    summary = {}
    for name, results in runs.items():
        best = min(r["seconds"] for r in results)
        summary[name] = {
            "best_seconds": best,
            "docs_per_second_per_core": round(args.docs / best / args.cores, 1),
            "docs_per_cpu_second": round(args.docs / min(r["cpu_seconds"] for r in results), 1),
            "kept": results[0].get("kept") or results[0]["counts"].get("kept"),
        }
    for name in ("ladder_verify", "ladder_no_verify"):
        summary[name]["speedup_vs_datatrove_per_core"] = round(
            summary["datatrove"]["best_seconds"] / summary[name]["best_seconds"], 2
        )
        summary[name]["cpu_speedup_vs_datatrove"] = round(
            summary[name]["docs_per_cpu_second"] / summary["datatrove"]["docs_per_cpu_second"], 2
        )
    data = {"docs": args.docs, "cores": args.cores, "load_average": loads, "summary": summary}
    data["runs"] = runs
    print(json.dumps(summary, indent=2))
    print("wrote", save(f"speed_{args.docs}.json", data))


if __name__ == "__main__":
    main()
