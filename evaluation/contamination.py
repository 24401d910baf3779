"""Contamination at evaluation time: which evaluated items occur in a model's training data.

A model artifact's lineage (``runs`` table) leads through its training run to the tokenize
run(s) that made its shards; their input tables, at the pinned versions, are the documents the
model was trained on. Those documents are scanned for the evaluated items with the same n-gram
index as the decontaminate stage (its settings when one is in the lineage, else the defaults).
Per task, two rows of kind ``contamination``: ``contaminated_items`` (items found, ``n`` =
items evaluated) and ``clean_<metric>`` (the score over the other items).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence

from data_pipeline.lakehouse.lineage import RunLog
from data_pipeline.lakehouse.tables import Lakehouse, Ref, TableVersion
from evaluation.gauntlet import TaskResult, mean_stderr
from evaluation.results import ResultRow
from evaluation.specs import TaskSpec

log = logging.getLogger(__name__)
KIND = "contamination"
DOC_STAGES = ("tokenize",)  # stages whose input tables are the training documents


def training_tables(lakehouse: Lakehouse, ref: Ref, depth: int = 12):
    """(document tables the model at ``ref`` was trained on, index settings in the lineage)."""
    from data_pipeline.decontam.config import DecontamConfig, IndexConfig

    runs, found, index, seen = RunLog(lakehouse), [], IndexConfig(), set()
    todo: list[tuple[Ref, int]] = [(ref, 0)]
    while todo:
        node, level = todo.pop()
        if node in seen or level > depth:
            continue
        seen.add(node)
        run = runs.producer_of(node.table, node.version)
        if run is None:
            continue
        if run.stage == "decontaminate":
            try:
                index = DecontamConfig.model_validate(json.loads(run.config_json)).index
            except (ValueError, TypeError):
                log.warning("run %s: unreadable decontaminate config; default index", run.run_id)
        if run.stage in DOC_STAGES:
            found += [t for t in run.inputs if isinstance(t, TableVersion)]
        todo += [(t, level + 1) for t in run.inputs]
    return sorted(set(found), key=str), index


def contamination_rows(
    lakehouse: Lakehouse,
    model_id: str,
    ref: Ref | None,
    specs: Sequence[TaskSpec],
    results: Sequence[TaskResult],
    limit: int | None,
) -> list[ResultRow]:
    """Rows of kind ``contamination`` per task; none when the model has no training lineage."""
    if ref is None or not results:
        return []
    tables, index_cfg = training_tables(lakehouse, ref)
    if not tables:
        return []
    from data_pipeline.decontam.index import build_index
    from data_pipeline.decontam.scan import contaminated_items
    from evaluation.items import task_items

    items = [item for spec in specs for item in task_items(spec, limit)]
    index_cfg = index_cfg.model_copy(update={"tasks": [s.name for s in specs], "limit": limit})
    built = build_index(items, index_cfg)
    parts = [lakehouse.read(t.table, t.version).select("doc_id", "source", "text") for t in tables]
    docs = functools.reduce(lambda a, b: a.unionByName(b), parts)
    found = contaminated_items(docs, built)
    rows = []
    for r in results:
        hit = found.get(r.task, set())
        clean = [v for v, k in zip(r.items, r.item_keys, strict=True) if k not in hit]
        dirty = len(r.items) - len(clean)
        value, se = mean_stderr(clean)
        rows.append(ResultRow(model_id, r.task, "contaminated_items", dirty, r.n, None, KIND))
        rows.append(ResultRow(model_id, r.task, f"clean_{r.metric}", value, len(clean), se, KIND))
    return rows
