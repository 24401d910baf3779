"""Contamination at evaluation time: per task, how many evaluated items occur in the model's
training data, and the score without them.

Finding the items is data work (``ContaminationScan``: the flows pass
``data_pipeline.decontam.training_data.items_in_training_data``, which follows the model's
lineage to its training documents). Per task, two rows of kind ``contamination``:
``contaminated_items`` (items found, ``n`` = items evaluated) and ``clean_<metric>`` (the score
over the other items).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from data_pipeline.lakehouse.tables import Lakehouse, Ref
from evaluation.gauntlet import TaskResult, mean_stderr
from evaluation.items import EvalItem, task_items
from evaluation.results import ResultRow
from evaluation.specs import TaskSpec

KIND = "contamination"

#: (lakehouse, model ref, items) -> item keys per task found in the model's training data, or
#: None when the model has no recorded training lineage.
ContaminationScan = Callable[[Lakehouse, Ref, Sequence[EvalItem]], dict[str, set[str]] | None]


def contamination_rows(
    lakehouse: Lakehouse,
    model_id: str,
    ref: Ref | None,
    specs: Sequence[TaskSpec],
    results: Sequence[TaskResult],
    limit: int | None,
    scan: ContaminationScan | None,
) -> list[ResultRow]:
    """Rows of kind ``contamination`` per task; none without a scan, a model artifact or a
    training lineage."""
    if scan is None or ref is None or not results:
        return []
    items = [item for spec in specs for item in task_items(spec, limit)]
    found = scan(lakehouse, ref, items)
    if found is None:
        return []
    rows = []
    for r in results:
        hit = found.get(r.task, set())
        clean = [v for v, k in zip(r.items, r.item_keys, strict=True) if k not in hit]
        dirty = len(r.items) - len(clean)
        value, se = mean_stderr(clean)
        rows.append(ResultRow(model_id, r.task, "contaminated_items", dirty, r.n, None, KIND))
        rows.append(ResultRow(model_id, r.task, f"clean_{r.metric}", value, len(clean), se, KIND))
    return rows
