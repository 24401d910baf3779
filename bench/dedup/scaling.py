"""Dedup scaling: time and peak driver memory at 10k -> 100k -> 1M documents.

    .venv/bin/python -m bench.dedup.scaling --size 10000      # one size per call, or
    .venv/bin/python -m bench.dedup.scaling --size 10000 --size 100000 --size 1000000
    .venv/bin/python -m bench.dedup.scaling --report          # exponents of what is stored

Each size runs ladder's whole dedup (exact + fuzzy with verification, the stage defaults) in
its own process (bench/dedup/ladder_minhash.py) on ``local[2]`` over a generated corpus of real
sentences (bench/dedup/corpus.py ``scaled_corpus``; 5% near and 2% exact copies). Results
are merged into bench/out/dedup/scaling.json, so sizes can be measured one at a time. The
growth exponent between sizes a < b is log(t_b / t_a) / log(b / a).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys

from bench.dedup.common import OUT, REPO, load_average
from bench.dedup.corpus import scaled_corpus

RESULTS = OUT / "scaling.json"


def measure(size: int, cores: int, partitions: int) -> dict:
    folder = OUT / f"scaled_{size}"
    scaled_corpus(size, folder)
    load = load_average()
    cmd = [
        sys.executable,
        "-m",
        "bench.dedup.ladder_minhash",
        str(folder),
        str(OUT / "work" / "scale"),
    ]
    cmd += ["--cores", str(cores), "--shuffle-partitions", str(partitions)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_average"] = [load, load_average()]
    return result


def report(results: dict) -> dict:
    sizes = sorted(int(s) for s in results)
    lines = {}
    for a, b in itertools.pairwise(sizes):
        ta, tb = results[str(a)]["seconds"], results[str(b)]["seconds"]
        lines[f"{a}->{b}"] = round(math.log(tb / ta) / math.log(b / a), 3)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, action="append", default=[])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--shuffle-partitions", type=int, default=16)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for size in args.size:
        results[str(size)] = measure(size, args.cores, args.shuffle_partitions)
        print(size, json.dumps(results[str(size)]), flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2))
    for size in sorted(int(s) for s in results):
        r = results[str(size)]
        print(
            f"{size:>9,} docs: {r['seconds']:8.1f} s, {size / r['seconds']:8.0f} docs/s, "
            f"python driver peak {r['python_peak_rss_mb']:.0f} MB, "
            f"JVM peak {r['jvm_peak_rss_mb']:.0f} MB, load {r['load_average']}"
        )
    print("growth exponents:", report(results))


if __name__ == "__main__":
    main()
