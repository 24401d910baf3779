"""Dedup accuracy against brute-force exact Jaccard ground truth (threshold 0.8).

    .venv/bin/python -m bench.dedup.accuracy [--docs 12000 --planted 2400 --tweets 8000]

Corpus: real documents + near-duplicates planted at known Jaccard levels (word edits,
insertions, block moves, chains, re-cased copies) + health tweets with natural duplicates
(bench/dedup/corpus.py). Truth: every pair with exact Jaccard >= 0.8 of ladder's word 5-gram
shingle sets (bench/dedup/truth.py), and the connected components of those pairs.

Reported: pair recall (truth pairs that end up in one predicted cluster), pair precision
(predicted same-cluster pairs that lie in one truth component), the cluster assignment
(truth components reproduced exactly; predicted clusters that merge or split components),
and recall by planted kind and Jaccard level. Writes bench/out/dedup/accuracy.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter, defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.dedup.common import OUT, clock, load_average, save, spark_session
from bench.dedup.corpus import accuracy_corpus
from bench.dedup.truth import components, exact_pairs


def pair_count(sizes) -> int:
    return sum(s * (s - 1) // 2 for s in sizes)


def evaluate(n: int, truth_i, truth_j, predicted: np.ndarray) -> dict:
    """Metrics of a predicted labelling (one label per document; singletons unique)."""
    truth = components(n, truth_i, truth_j)
    same_pred = predicted[truth_i] == predicted[truth_j]
    joint = Counter(zip(predicted.tolist(), truth.tolist(), strict=False))
    together_both = pair_count(joint.values())
    together_pred = pair_count(Counter(predicted.tolist()).values())
    together_truth = pair_count(Counter(truth.tolist()).values())
    truth_groups, pred_groups = defaultdict(set), defaultdict(set)
    for doc, (p, t) in enumerate(zip(predicted.tolist(), truth.tolist(), strict=False)):
        truth_groups[t].add(doc)
        pred_groups[p].add(doc)
    truth_multi = [g for g in truth_groups.values() if len(g) > 1]
    pred_multi = [frozenset(g) for g in pred_groups.values() if len(g) > 1]
    pred_set = set(pred_multi)
    exact = sum(1 for g in truth_multi if frozenset(g) in pred_set)
    merged = sum(1 for g in pred_multi if len({truth[d] for d in g}) > 1)
    return {
        "truth_pairs": len(truth_i),
        "pair_recall": float(same_pred.mean()) if len(truth_i) else 1.0,
        "pair_precision": together_both / together_pred if together_pred else 1.0,
        "component_pair_recall": together_both / together_truth if together_truth else 1.0,
        "truth_components": len(truth_multi),
        "predicted_clusters": len(pred_multi),
        "components_reproduced_exactly": exact,
        "component_match_rate": exact / len(truth_multi) if truth_multi else 1.0,
        "predicted_clusters_merging_components": merged,
        "removed_docs_truth": sum(len(g) - 1 for g in truth_multi),
        "removed_docs_predicted": sum(len(g) - 1 for g in pred_multi),
    }


def run_ladder(path, n_docs: int, config) -> tuple[np.ndarray, dict]:
    """Cluster label per document (index order) from ladder's engine, and its counts."""
    from pyspark.sql import functions as F

    from data_pipeline.dedup import deduplicate

    spark = spark_session()
    docs = spark.read.parquet(str(path)).withColumns(
        {
            "url_or_path": F.col("doc_id"),
            "ingested_at": F.lit(dt.datetime(2024, 1, 1)),
        }
    )
    result = deduplicate(docs, config, "bench-accuracy")
    members = result.clusters.select("cluster_id", "members.doc_id").collect()
    labels = np.arange(n_docs)
    index = {f"{i}": i for i in range(n_docs)}
    for row in members:
        ids = [index[d] for d in row["doc_id"]]
        labels[ids] = min(ids)
    for df in result.persisted:
        df.unpersist()
    return labels, result.counts | {"report": result.report}


def planted_recall(facts, ids, predicted, truth_sim) -> dict:
    """Recall of planted (variant, original) pairs with Jaccard >= 0.8, by kind and level."""
    out = defaultdict(lambda: [0, 0])
    for variant, original, kind, level, sim in facts:
        if sim < 0.8:
            continue
        key = f"{kind}@{level:.2f}"
        out[key][1] += 1
        out[key][0] += int(predicted[ids[variant]] == predicted[ids[original]])
    return {k: {"found": f, "of": n} for k, (f, n) in sorted(out.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=12_000)
    parser.add_argument("--planted", type=int, default=2_400)
    parser.add_argument("--tweets", type=int, default=8_000)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument(
        "--variants",
        default="ladder_default,ladder_p90,ladder_no_verify",
        help="comma-separated: ladder_default, ladder_p90 (112 permutations, P(candidate | 0.8)"
        " >= 0.9: 13 x 8), ladder_no_verify",
    )
    args = parser.parse_args()
    from data_pipeline.dedup import DedupConfig

    start = clock()
    rows, facts = accuracy_corpus(docs=args.docs, planted=args.planted, tweets=args.tweets)
    texts = [r[1] for r in rows]
    ids = {r[0]: i for i, r in enumerate(rows)}
    folder = OUT / "accuracy"
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "doc_id": [str(i) for i in range(len(rows))],
            "text": texts,
            "source": [r[2] for r in rows],
        }
    )
    pq.write_table(table, folder / "corpus.parquet", row_group_size=2000)
    built = clock() - start
    start = clock()
    ti, tj, ts = exact_pairs(texts, args.threshold)
    truth_seconds = clock() - start
    truth_sim = {(int(a), int(b)): float(s) for a, b, s in zip(ti, tj, ts, strict=False)}
    results = {
        "corpus": {
            "documents": len(rows),
            "by_source": dict(Counter(r[2] for r in rows)),
            "planted": len(facts),
            "planted_at_or_above_threshold": sum(1 for f in facts if f[4] >= args.threshold),
            "build_seconds": round(built, 1),
        },
        "truth": {"pairs": len(ti), "seconds": round(truth_seconds, 1)},
        "load_average_start": load_average(),
    }
    variants = {
        "ladder_default": DedupConfig(threshold=args.threshold),
        "ladder_p90": DedupConfig(
            threshold=args.threshold, num_perm=112, min_candidate_probability=0.9
        ),
        "ladder_no_verify": DedupConfig(threshold=args.threshold, verify=False),
    }
    for name in args.variants.split(","):
        config = variants[name]
        start = clock()
        labels, counts = run_ladder(folder / "corpus.parquet", len(rows), config)
        seconds = clock() - start
        metrics = evaluate(len(rows), ti, tj, labels)
        metrics["planted_recall"] = planted_recall(facts, ids, labels, truth_sim)
        tweets = np.array([r[2] == "tweets" for r in rows])
        both = tweets[ti] & tweets[tj]
        metrics["tweets_pair_recall"] = (
            float((labels[ti[both]] == labels[tj[both]]).mean()) if both.any() else None
        )
        metrics["seconds"] = round(seconds, 1)
        metrics["banding"] = counts["report"]["banding"]
        metrics["counts"] = {k: v for k, v in counts.items() if k != "report"}
        results[name] = metrics
        print(name, {k: v for k, v in metrics.items() if k not in ("planted_recall", "counts")})
    results["load_average_end"] = load_average()
    print("wrote", save("accuracy.json", results))


if __name__ == "__main__":
    main()
