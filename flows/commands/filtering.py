"""Filtering commands: ``ladder quality train`` and ``ladder report TABLE@VERSION``."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_CONFIG = "conf/pipeline.yaml"


def cmd_quality_train(args: argparse.Namespace) -> int:
    from data_pipeline.project import load_project
    from data_pipeline.quality.fasttext_train import TrainParams
    from data_pipeline.quality.train import train_quality_model
    from data_pipeline.runner import new_run_id, open_lakehouse

    project = load_project(args.config)
    params = TrainParams(
        dim=args.dim, epoch=args.epoch, lr=args.lr, word_ngrams=args.word_ngrams, seed=args.seed
    )
    artifact = train_quality_model(
        open_lakehouse(project),
        project.artifacts,
        args.positive,
        args.negative,
        name=args.name,
        positive_where=args.positive_where,
        negative_where=args.negative_where,
        max_docs=args.max_docs,
        heldout=args.heldout,
        params=params,
        run_id=new_run_id(),
    )
    m = artifact.manifest
    print(f"{artifact.ref}  {artifact.uri}")
    print(
        f"  positives {m['positives']['docs']} ({m['positives']['source']}), negatives "
        f"{m['negatives']['docs']} ({m['negatives']['source']}), trained on {m['train_docs']}"
    )
    if "auc" in m:
        print(
            f"  held-out {m['heldout']}: precision {m['precision']:.3f}, recall "
            f"{m['recall']:.3f}, AUC {m['auc']:.3f}"
        )
    print(f"  use it: {m['use']}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from data_pipeline.lakehouse.tables import TableVersion
    from data_pipeline.project import load_project
    from data_pipeline.report.funnel import build_funnel, render_chart, render_markdown
    from data_pipeline.runner import open_lakehouse

    project = load_project(args.config)
    table, version = TableVersion.parse(args.table)
    lake = open_lakehouse(project)
    version = lake.latest_version(table) if version is None else version
    chain = build_funnel(lake, table, version)
    title = f"{table}@{version}"
    print(render_markdown(chain, title))
    if chain and not args.no_chart:
        run_id = chain[-1].run_id
        path = args.chart or Path(project.artifacts) / "runs" / run_id / f"funnel_{title}.png"
        print(f"chart: {render_chart(chain, path, 'funnel of ' + title)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quality", help="quality classifier: train one from reference data")
    q_sub = p.add_subparsers(dest="quality_command", metavar="ACTION")
    q_sub.required = True
    t = q_sub.add_parser(
        "train",
        help="train a fastText quality classifier and register it as an artifact",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Positives: a high-quality reference set; negatives: a random sample of the corpus.\n"
            "Each is TABLE[@VERSION] (narrow it with --*-where 'SQL') or a .jsonl/.txt file.\n"
            "Example:\n"
            "  ladder quality train --positive ingested_docs \\\n"
            "      --positive-where \"source='wiki_en'\"\n"
            "      --negative ingested_docs --negative-where \"source='health_tweets'\""
        ),
    )
    t.add_argument("--positive", required=True, metavar="REF")
    t.add_argument("--negative", required=True, metavar="REF")
    t.add_argument("--positive-where", metavar="SQL")
    t.add_argument("--negative-where", metavar="SQL")
    t.add_argument("--name", default="quality_model", help="artifact name (default quality_model)")
    t.add_argument("--max-docs", type=int, default=20_000, help="per side (default 20000)")
    t.add_argument("--heldout", type=float, default=0.1, help="held-out share (default 0.1)")
    t.add_argument("--dim", type=int, default=100)
    t.add_argument("--epoch", type=int, default=10)
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument("--word-ngrams", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--config", default=DEFAULT_CONFIG, help="pipeline YAML")
    t.set_defaults(func=cmd_quality_train)

    r = sub.add_parser(
        "report",
        help="the data funnel of a table version (stages, reasons, sources)",
        description="Print the funnel of TABLE[@VERSION] as markdown and write a PNG chart.",
    )
    r.add_argument("table", metavar="TABLE[@VERSION]")
    r.add_argument("--config", default=DEFAULT_CONFIG, help="pipeline YAML")
    r.add_argument("--chart", help="PNG path (default: <artifacts>/runs/<run_id>/funnel_*.png)")
    r.add_argument("--no-chart", action="store_true", help="print only")
    r.set_defaults(func=cmd_report)
