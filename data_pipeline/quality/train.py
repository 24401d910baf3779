"""``ladder quality train``: a fastText quality classifier, registered as a versioned artifact.

Positives come from a high-quality reference set, negatives from a random sample of the corpus
(DCLM's recipe); each is ``TABLE[@VERSION]`` in the lakehouse (optionally narrowed by a Spark SQL
``where``) or a file (``.jsonl`` with a ``text`` field, or ``.txt`` with one document per line).
Documents that are also positives are removed from the negatives. Both sides are sampled to at most
``max_docs`` (seeded), a stratified ``heldout`` share (default 10%) is kept out of training, and
the model is evaluated on it: precision and recall of the positive label at probability 0.5 and
ROC AUC. The model file lands under ``<artifacts>/quality/<name>/<run_id>/model.bin`` and is
registered as artifact ``<name>`` (kind ``fasttext_quality_model``) with those figures, the
sources and the training parameters in its manifest; the run is recorded in ``runs`` with its input
table versions and the artifact as output.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from data_pipeline.filters.quality_classifier import classifier_text
from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.artifacts import Artifact, ArtifactRegistry
from data_pipeline.lakehouse.tables import Lakehouse, TableVersion
from data_pipeline.quality.fasttext_train import TrainParams, train_supervised

POSITIVE, NEGATIVE = "hq", "lq"


@dataclass
class TextSet:
    """Texts of one side, and where they came from."""

    texts: list[str]
    ids: list[str]
    origin: str
    table: TableVersion | None = None


def load_texts(lake: Lakehouse, ref: str, where: str | None, limit: int, seed: int) -> TextSet:
    """Up to ``limit`` texts from a table reference or a file (see module doc)."""
    path = Path(ref)
    if path.suffix in (".jsonl", ".txt") and path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        texts = (
            [json.loads(x)["text"] for x in lines if x.strip()]
            if path.suffix == ".jsonl"
            else [x for x in lines if x.strip()]
        )
        random.Random(seed).shuffle(texts)
        texts = texts[:limit]
        return TextSet(texts, [str(hash(t)) for t in texts], str(path))
    table, version = TableVersion.parse(ref)
    version = lake.latest_version(table) if version is None else version
    if version is None:
        raise FileNotFoundError(f"{ref}: no such table in {lake.root} and no such file")
    from pyspark.sql import functions as F

    df = lake.read(table, version)
    if where:
        df = df.filter(where)
    rows = (
        df.select("doc_id", "text")
        .orderBy(F.xxhash64("doc_id", F.lit(seed)))
        .limit(limit)
        .collect()
    )
    origin = f"{table}@{version}" + (f" where {where}" if where else "")
    return TextSet(
        [r["text"] for r in rows], [r["doc_id"] for r in rows], origin, TableVersion(table, version)
    )


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    pos, neg = int(labels.sum()), int(len(labels) - labels.sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    ranks = (sums / counts)[inverse]  # ties share their average rank
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def evaluate(model, texts: list[str], labels: list[int]) -> dict[str, float]:
    """Precision, recall (positive label, threshold 0.5) and ROC AUC on held-out texts."""
    names, probs = model.predict([classifier_text(t) for t in texts], k=-1)
    scores = np.array(
        [
            next(
                (float(p) for n, p in zip(ns, ps, strict=True) if n == f"__label__{POSITIVE}"), 0.0
            )
            for ns, ps in zip(names, probs, strict=True)
        ]
    )
    y = np.array(labels)
    predicted = scores >= 0.5
    tp = int((predicted & (y == 1)).sum())
    return {
        "precision": tp / max(1, int(predicted.sum())),
        "recall": tp / max(1, int((y == 1).sum())),
        "auc": roc_auc(y, scores),
        "heldout": len(y),
    }


def train_quality_model(
    lake: Lakehouse,
    artifacts_root: str,
    positive: str,
    negative: str,
    *,
    name: str = "quality_model",
    positive_where: str | None = None,
    negative_where: str | None = None,
    max_docs: int = 20_000,
    heldout: float = 0.1,
    params: TrainParams | None = None,
    run_id: str | None = None,
) -> Artifact:
    """Train, evaluate, save and register a quality classifier; return the artifact."""
    params = params or TrainParams()
    run_id = run_id or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    pos = load_texts(lake, positive, positive_where, max_docs, params.seed)
    neg = load_texts(lake, negative, negative_where, max_docs + len(pos.ids), params.seed + 1)
    seen = set(pos.ids)
    negatives = [t for t, i in zip(neg.texts, neg.ids, strict=True) if i not in seen][:max_docs]
    if len(pos.texts) < 10 or len(negatives) < 10:
        raise ValueError(
            f"too few documents: {len(pos.texts)} positives, "
            f"{len(negatives)} negatives (need 10 of each)"
        )
    examples = [(t, 1) for t in pos.texts] + [(t, 0) for t in negatives]
    random.Random(params.seed).shuffle(examples)
    test = [e for i, e in enumerate(examples) if (i % round(1 / heldout)) == 0] if heldout else []
    train = [e for i, e in enumerate(examples) if not heldout or (i % round(1 / heldout)) != 0]
    folder = storage.join(storage.absolute(str(artifacts_root)), "quality", name, run_id)
    staging = tempfile.mkdtemp(prefix="ladder-quality-")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for text, label in train:
            f.write(f"__label__{POSITIVE if label else NEGATIVE} {classifier_text(text)}\n")
    model, attempts = train_supervised(f.name, params)
    Path(f.name).unlink(missing_ok=True)
    metrics = evaluate(model, [t for t, _ in test], [y for _, y in test]) if test else {}
    model.save_model(os.path.join(staging, "model.bin"))
    manifest: dict[str, Any] = {
        "label": POSITIVE,
        "positives": {"source": pos.origin, "docs": len(pos.texts)},
        "negatives": {"source": neg.origin, "docs": len(negatives)},
        "train_docs": len(train),
        **metrics,
        "params": asdict(params),
        "training": attempts,
        "use": f"quality_classifier: {{model: 'artifact:{name}', label: {POSITIVE}}}",
    }
    with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as out:
        out.write(json.dumps(manifest, indent=2, default=str))
    storage.publish_tree(staging, folder)
    artifact = ArtifactRegistry(lake).register(
        name,
        "fasttext_quality_model",
        storage.join(folder, "model.bin"),
        manifest,
        run_id=run_id,
        stage="quality_train",
    )
    _record_run(lake, run_id, [s.table for s in (pos, neg) if s.table], artifact, manifest)
    return artifact


def _record_run(lake, run_id, inputs, artifact: Artifact, manifest: dict) -> None:
    from data_pipeline.lakehouse.recording import recorded_run

    with recorded_run(lake, "quality_train", run_id, inputs, manifest, announce=False) as record:
        record.outputs = [artifact.ref]
        record.counts = {
            "train_docs": manifest["train_docs"],
            "heldout": manifest.get("heldout", 0),
        }
