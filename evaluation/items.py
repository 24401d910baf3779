"""Evaluated items of gauntlet tasks as text: prompt plus gold answer, as the harness formats them.

Used to report contamination at evaluation time, and published as the ``benchmark_items`` table
(``publish_items``) that the decontaminate stage indexes. Items are keyed
``<subset>/<doc index>`` (``/<doc index>`` without subsets): the order and ids
in which ``harness.item_scores`` scores them, so a key names the same item in both places.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from data_pipeline.lakehouse.recording import recorded_run
from data_pipeline.lakehouse.schemas import BENCHMARK_ITEMS, BENCHMARK_ITEMS_TABLE
from data_pipeline.lakehouse.tables import CommitInfo, Lakehouse, TableVersion, TableWrite
from evaluation.harness import build_tasks, item_cap
from evaluation.specs import TaskSpec, load_gauntlet


@dataclass(frozen=True)
class EvalItem:
    """One evaluated item: its task, key and formatted text (prompt, delimiter, gold answer)."""

    task: str
    item_key: str
    text: str


def _answer(target, choices) -> str:
    if isinstance(target, list):
        target = target[0] if target else ""
    if isinstance(target, int) and choices:
        return str(choices[target]) if 0 <= target < len(choices) else ""
    return str(target)


def format_item(task, doc) -> str:
    """Prompt and gold answer of ``doc`` as lm-eval's task formats them (zero-shot)."""
    prompt = task.doc_to_text(doc)
    target = task.doc_to_target(doc)
    choices = task.doc_to_choice(doc) if task.OUTPUT_TYPE == "multiple_choice" else None
    if isinstance(prompt, int) and choices:  # partial scoring (winogrande): prompt = gold choice
        prompt, answer = choices[prompt], _answer(target, None)
    else:
        answer = _answer(target, choices)
    delimiter = task.config.target_delimiter or " "
    return f"{prompt}{delimiter}{answer}"


def task_items(spec: TaskSpec, limit: int | None = None) -> list[EvalItem]:
    """The items a run with ``limit`` scores (``harness.item_cap``), in scoring order."""
    items = []
    for task in build_tasks(spec, item_cap(spec, limit)):
        subset = task.config.dataset_kwargs.get("ladder_subset", "")
        for doc_id, doc in enumerate(task.eval_docs):
            items.append(EvalItem(spec.name, f"{subset}/{doc_id}", format_item(task, doc)))
    return items


def gauntlet_items(
    gauntlet: str, tasks: list[str] | None = None, limit: int | None = None
) -> list[EvalItem]:
    """Items of every task of the gauntlet file (or of ``tasks``)."""
    spec = load_gauntlet(gauntlet)
    selected = spec.select(tasks) if tasks else spec.tasks
    return [item for task in selected for item in task_items(task, limit)]


def items_digest(items: list[EvalItem]) -> str:
    """SHA-256 of every (task, item key, text): names the content of a published version."""
    h = hashlib.sha256()
    for item in items:
        h.update(f"\0{item.task}\0{item.item_key}\0{item.text}".encode())
    return h.hexdigest()


def publish_items(
    lakehouse: Lakehouse,
    gauntlet: str,
    tasks: list[str] | None,
    limit: int | None,
    run_id: str,
) -> TableVersion:
    """The items of ``gauntlet`` (``tasks``, ``limit`` as in ``gauntlet_items``) as the latest
    version of ``benchmark_items``: a new version, recorded in ``runs`` as stage
    ``benchmark_items``, only when they differ from the latest one (their digest is the
    commit's config hash)."""
    items = gauntlet_items(gauntlet, tasks, limit)
    digest = items_digest(items)
    table = BENCHMARK_ITEMS_TABLE
    latest = lakehouse.latest_version(table)
    if latest is not None and lakehouse.commit_metadata(table, latest).get("config_hash") == digest:
        return TableVersion(table, latest)
    rows = [(i.task, i.item_key, i.text, gauntlet, run_id) for i in items]
    df = lakehouse.spark.createDataFrame(rows, BENCHMARK_ITEMS)
    view = {"gauntlet": gauntlet, "tasks": tasks, "limit": limit, "items": len(items)}
    stage = BENCHMARK_ITEMS_TABLE
    with recorded_run(lakehouse, stage, run_id, [], view, config_hash=digest) as record:
        commit = CommitInfo(run_id, stage, digest, record.code_version)
        written = lakehouse.write(
            TableWrite(BENCHMARK_ITEMS_TABLE, df, schema=BENCHMARK_ITEMS), commit
        )
        record.outputs = [written]
        record.counts = {"items": len(items), **_per_task(items)}
    return written


def _per_task(items: list[EvalItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        key = f"task.{item.task}.items"
        counts[key] = counts.get(key, 0) + 1
    return counts
