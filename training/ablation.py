"""Data ablations: the YAML (``conf/ablate/*.yaml``), each variant's pipeline and the token budget.

An ablation names a base pipeline (``project``), the stage chain (default: the pipeline's own),
settings shared by every variant (``base``) and the variants, each a mapping of dotted stage
settings (``filter.filters``, ``dedup.fuzzy``, ``tokenize.heldout.fraction``) to values that
replace the base pipeline's. A variant's stages run with their own config; the stage cache
makes the shared prefix (ingest, and every stage before the first changed one) run once.
Variants never share dedup state: ``dedup.incremental`` is off in every variant.

The token budget: every proxy trains on exactly ``batches x global_batch_size x seq_len``
tokens, ``batches = ceil(tokens / tokens per batch)``, in one pass over its shard set. A variant
whose shards hold fewer tokens than that is refused (no repetition), so equal tokens never
means repeated data for one variant and fresh data for another.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from data_pipeline.lakehouse.config import (
    ConfigError,
    StrictModel,
    parse_model,
    read_yaml,
    resolve_path,
)
from data_pipeline.lakehouse.names import Name


class Variant(StrictModel):
    """One variant: a name and dotted stage settings (``stage.key[.key...]: value``)."""

    name: Name
    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict)


class ProxySpec(StrictModel):
    """The proxy model: a recipe (its ``data.shards`` is set per variant), the token budget
    (tokens, rounded up to whole batches) and the seeds (a count from 1, or a list)."""

    recipe: str
    tokens: float = Field(gt=0)
    seeds: int | list[int] = 2

    def seed_list(self) -> list[int]:
        return list(range(1, self.seeds + 1)) if isinstance(self.seeds, int) else self.seeds

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, value: int | list[int]) -> int | list[int]:
        if (isinstance(value, int) and value < 1) or (isinstance(value, list) and not value):
            raise ValueError("give at least one seed")
        return value


class CompositeSpec(StrictModel):
    """``composite = tasks x mean centered accuracy - bpb x mean bits per byte over domains``
    (higher is better; centered accuracy = (acc - chance) / (1 - chance))."""

    tasks: float = Field(default=1.0, ge=0)
    bpb: float = Field(default=1.0, ge=0)


class EvalSpec(StrictModel):
    """The fixed evaluation: an eval config (engine, perplexity settings), tasks scored on their
    first ``limit`` items, bits per byte on held-out documents (``max_docs`` per domain), the
    composite and the bootstrap. The held-out documents come from ``heldout_from`` (default the
    first variant) minus any document another variant trains on."""

    config: str = "../eval/eval.yaml"
    tasks: list[str] = Field(default_factory=list)
    limit: int = Field(default=50, ge=1)
    max_docs: int = Field(default=40, ge=1)
    heldout_from: str | None = None
    composite: CompositeSpec = Field(default_factory=CompositeSpec)
    bootstrap_samples: int = Field(default=1000, ge=10)
    confidence: float = Field(default=0.95, gt=0, lt=1)


class AblationConfig(StrictModel):
    """An ablation: base pipeline, chain, shared settings, variants, proxy, evaluation."""

    name: Name
    project: str
    stages: list[str] | None = None
    base: dict[str, Any] = Field(default_factory=dict)
    variants: list[Variant] = Field(min_length=2)
    proxy: ProxySpec
    eval: EvalSpec = Field(default_factory=EvalSpec)
    concurrency: int = Field(default=1, ge=1)
    results_table: Name = "ablation_results"
    origin: str = Field(default="<memory>", exclude=True)

    @model_validator(mode="after")
    def _check(self) -> AblationConfig:
        names = [v.name for v in self.variants]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"variant names must be unique; repeated: {dupes}")
        if self.eval.heldout_from is not None and self.eval.heldout_from not in names:
            raise ValueError(f"eval.heldout_from {self.eval.heldout_from!r} is not a variant")
        return self

    @property
    def reference(self) -> str:
        """The variant whose held-out split the evaluation uses."""
        return self.eval.heldout_from or self.variants[0].name


def load_ablation(path: str | Path) -> AblationConfig:
    """Read an ablation YAML; ``project``, ``proxy.recipe`` and ``eval.config`` resolve
    against its folder."""
    path = Path(path).resolve()
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    cfg = parse_model(AblationConfig, {**raw, "origin": str(path)}, str(path))
    base = path.parent
    cfg.project = resolve_path(base, cfg.project)
    cfg.proxy.recipe = resolve_path(base, cfg.proxy.recipe)
    cfg.eval.config = resolve_path(base, cfg.eval.config)
    return cfg


def set_dotted(target: dict[str, Any], key: str, value: Any, origin: str) -> None:
    """``target[a][b][c] = value`` for ``key = "a.b.c"`` (sections created as needed)."""
    parts = key.split(".")
    if len(parts) < 2 or not all(parts):
        raise ConfigError(f"{origin}: override {key!r}: expected STAGE.SETTING[.SETTING...]")
    node = target
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{origin}: override {key!r}: {part!r} is not a section")
    node[parts[-1]] = copy.deepcopy(value)


def variant_stages(cfg: AblationConfig, variant: Variant, chain: list[str]) -> dict[str, Any]:
    """The ``stages:`` section of ``variant``: the project's stage settings (files read), then
    ``base``, then the variant's overrides; dedup never incremental."""
    from data_pipeline.lakehouse.project import read_project

    stages = copy.deepcopy(read_project(cfg.project).stages)
    for key, value in {**cfg.base, **variant.overrides}.items():
        if key.split(".")[0] not in chain:
            raise ConfigError(
                f"{cfg.origin}: variant {variant.name!r}: {key!r} names no stage of {chain}"
            )
        set_dotted(stages, key, value, f"{cfg.origin}: variant {variant.name!r}")
    if "dedup" in chain:
        stages.setdefault("dedup", {})["incremental"] = False
    return stages


def first_changed_stage(cfg: AblationConfig, variant: Variant, chain: list[str]) -> str | None:
    """The first stage of ``chain`` the variant's overrides touch (None: the base pipeline)."""
    touched = {key.split(".")[0] for key in variant.overrides}
    return next((stage for stage in chain if stage in touched), None)


def budget_batches(tokens: float, tokens_per_batch: int) -> int:
    """Whole batches for a budget of ``tokens`` (rounded up)."""
    return max(1, math.ceil(tokens / tokens_per_batch))


def check_budget(variant: str, available: int, budget_tokens: int) -> None:
    """Refuse a variant whose shard set holds fewer tokens than the budget (one line)."""
    if available < budget_tokens:
        raise BudgetError(
            f"variant {variant!r}: its shard set holds {available:,} tokens, fewer than the "
            f"budget of {budget_tokens:,}; refused (each proxy sees every token at most once)"
        )


class BudgetError(ValueError):
    """A variant has too little data for the token budget."""


def plan_text(cfg: AblationConfig, gpu: str = "h100", mfu: float = 0.4, price: float = 2.5) -> str:
    """``ladder plan`` of one proxy run, per variant (which stages rerun, runs, cost) and the
    total; reads no data and starts neither Spark nor torch."""
    from data_pipeline.lakehouse.project import read_project
    from training.plan import format_plan, make_plan
    from training.recipe_files import load_recipe

    chain = cfg.stages or read_project(cfg.project).pipeline
    recipe = load_recipe(cfg.proxy.recipe)
    batches = budget_batches(cfg.proxy.tokens, recipe.tokens_per_batch)
    proxy = load_recipe(cfg.proxy.recipe, [f"duration={batches}ba"])
    plan = make_plan(proxy, gpu, mfu, price)
    seeds = len(cfg.proxy.seed_list())
    lines = [
        f"ablation          {cfg.name}: {len(cfg.variants)} variants x {seeds} seed(s)",
        f"token budget      {plan.tokens:,} per proxy ({batches:,} batches of "
        f"{recipe.tokens_per_batch:,}); a variant with fewer tokens is refused",
        "one proxy run:",
        *("  " + line for line in format_plan(plan).splitlines()),
        "variants:",
    ]
    for variant in cfg.variants:
        first = first_changed_stage(cfg, variant, chain)
        reruns = chain[chain.index(first) :] if first else []
        lines.append(
            f"  {variant.name:<16} stages rerun: {', '.join(reruns) or 'none (base pipeline)'}; "
            f"{seeds} proxy run(s): {seeds * plan.gpu_hours:.4g} GPU-hours, "
            f"${seeds * plan.cost:.4g}"
        )
    runs = seeds * len(cfg.variants)
    lines.append(
        f"total             {runs} proxy runs, {runs * plan.tokens:,} tokens, "
        f"{runs * plan.flops:.3e} FLOPs, {runs * plan.gpu_hours:.4g} GPU-hours, "
        f"${runs * plan.cost:.4g} (evaluation and data stages not included)"
    )
    return "\n".join(lines)
