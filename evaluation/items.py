"""Evaluated items of gauntlet tasks as text: prompt plus gold answer, as the harness formats them.

Used to index benchmarks for decontamination and to report contamination at evaluation time.
Items are keyed ``<subset>/<doc index>`` (``/<doc index>`` without subsets): the order and ids
in which ``harness.item_scores`` scores them, so a key names the same item in both places.
"""

from __future__ import annotations

from dataclasses import dataclass

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
