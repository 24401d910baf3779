"""Dedup commands: ``ladder dedup banding`` (LSH choice) and ``ladder dedup why DOC_ID``."""

from __future__ import annotations

import argparse

DEFAULT_CONFIG = "conf/pipeline.yaml"


def cmd_banding(args: argparse.Namespace) -> int:
    from data_pipeline.dedup.config import DedupConfig

    config = DedupConfig(
        threshold=args.threshold,
        num_perm=args.num_perm,
        bands=args.bands,
        rows=args.rows,
        min_candidate_probability=args.min_probability,
    )
    band = config.banding().as_dict()
    print(
        f"{band['bands']} bands x {band['rows']} rows of {args.num_perm} permutations "
        f"({band['chosen_by']})"
    )
    print(
        f"threshold {band['threshold']}  S-curve midpoint ~{band['approx_threshold']}  "
        f"FP area {band['fp_area']:.4f}  FN area {band['fn_area']:.4f}"
    )
    for s, p in band["s_curve"]:
        print(f"  s = {s:<5g} P(candidate) = {p:.4f}  {'#' * round(p * 40)}")
    return 0


def cmd_why(args: argparse.Namespace) -> int:
    from pyspark.sql import functions as F

    from data_pipeline.dedup.clusters import CLUSTERS
    from data_pipeline.lakehouse.tables import REJECTS
    from data_pipeline.project import load_project
    from data_pipeline.runner import open_lakehouse

    lake = open_lakehouse(load_project(args.config))
    rejects = lake.read(REJECTS).filter(
        (F.col("stage") == "dedup") & (F.col("doc_id") == args.doc_id)
    )
    row = rejects.select("reason", "filter", "score", "cluster_id").first()
    if row is None:
        print(f"{args.doc_id}: not removed by dedup (in the latest rejects table)")
        return 1
    print(
        f"{args.doc_id}: {row['reason']} ({row['filter']}), Jaccard {row['score']:.3f} "
        f"to the survivor of cluster {row['cluster_id']}"
    )
    cluster = lake.read(CLUSTERS).filter(F.col("cluster_id") == row["cluster_id"]).first()
    if cluster is not None:
        print(f"survivor {cluster['survivor']} ({cluster['survivor_source']}), members:")
        for m in cluster["members"]:
            sim = "" if m["similarity"] is None else f"{m['similarity']:.3f}"
            print(f"  {m['doc_id']}  {m['source']:<16} {m['reason']:<16} {sim}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dedup", help="dedup tools: LSH banding choice, why a document was removed")
    inner = p.add_subparsers(dest="dedup_command", required=True)
    b = inner.add_parser("banding", help="bands x rows for a Jaccard threshold, with its S-curve")
    b.add_argument("--threshold", type=float, default=0.8)
    b.add_argument("--num-perm", type=int, default=91)
    b.add_argument("--bands", type=int)
    b.add_argument("--rows", type=int)
    b.add_argument("--min-probability", type=float, default=0.95, help="P(candidate | threshold)")
    b.set_defaults(func=cmd_banding)
    w = inner.add_parser("why", help="the cluster, survivor and similarity of a removed document")
    w.add_argument("doc_id")
    w.add_argument("--config", default=DEFAULT_CONFIG, help="pipeline YAML (for the lakehouse)")
    w.set_defaults(func=cmd_why)
