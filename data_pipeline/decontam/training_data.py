"""Which evaluated items occur in the documents a model was trained on.

A model artifact's lineage (``runs`` table) leads through its training run to the tokenize
run(s) that made its shards; their input tables, at the pinned versions, are the documents the
model was trained on. ``items_in_training_data`` scans them for the given items with the n-gram
index of the decontaminate stage (its settings when a decontaminate run is in the lineage, else
the defaults). Evaluation gets this function from the flows (it does not import
``data_pipeline`` beyond the lakehouse package) and turns the result into clean scores.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence

from data_pipeline.decontam.config import DecontamConfig, IndexConfig
from data_pipeline.decontam.index import Item, build_index
from data_pipeline.decontam.scan import contaminated_items
from data_pipeline.lakehouse.lineage import RunLog
from data_pipeline.lakehouse.tables import Lakehouse, Ref, TableVersion

log = logging.getLogger(__name__)
DOC_STAGES = ("tokenize",)  # stages whose input tables are the training documents


def training_tables(
    lakehouse: Lakehouse, ref: Ref, depth: int = 12
) -> tuple[list[TableVersion], IndexConfig]:
    """(document tables the model at ``ref`` was trained on, index settings in the lineage)."""
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


def items_in_training_data(
    lakehouse: Lakehouse, ref: Ref, items: Sequence[Item]
) -> dict[str, set[str]] | None:
    """Item keys per task found in the model's training documents; None without lineage."""
    tables, index = training_tables(lakehouse, ref)
    if not tables:
        return None
    built = build_index(items, index)
    parts = [lakehouse.read(t.table, t.version).select("doc_id", "source", "text") for t in tables]
    docs = functools.reduce(lambda a, b: a.unionByName(b), parts)
    return contaminated_items(docs, built)
