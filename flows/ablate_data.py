"""The data side of an ablation: each variant's stage chain (``prepare_variant``).

Each stage reads the versions the previous stage of *this* variant wrote (pinned inputs), so
variants that write the same tables in turn never read each other's output; cache hits make
the shared prefix (ingest, and every stage before the first changed one) run once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from data_pipeline.lakehouse.names import ARTIFACT_PREFIX
from data_pipeline.project import load_project
from data_pipeline.stages import get_stage
from data_pipeline.stages.registry import stage_config
from training.ablation import AblationConfig, Variant, variant_stages

# (config path, stage, run id, pinned inputs, project overrides) -> the stage's result dict
StageRunner = Callable[[str, str, str, dict[str, int], dict[str, Any]], dict[str, Any]]


def chain_of(cfg: AblationConfig) -> list[str]:
    chain = cfg.stages or load_project(cfg.project).pipeline
    if "tokenize" not in chain:
        raise ValueError(f"{cfg.origin}: the stage chain {chain} must end with tokenize")
    return chain[: chain.index("tokenize") + 1]


def prepare_variant(
    cfg: AblationConfig, variant: Variant, run_id: str, run: StageRunner
) -> dict[str, Any]:
    """Run the variant's chain; its table versions, documents, shard set and token count."""
    chain = chain_of(cfg)
    overrides = {"stages": variant_stages(cfg, variant, chain)}
    project = load_project(cfg.project, overrides)  # every override validated before Spark
    produced: dict[str, int] = {}
    stages: dict[str, dict[str, Any]] = {}
    for stage in chain:
        wanted = get_stage(stage).input_tables(stage_config(project, stage))
        pinned = {t: produced[t] for t in wanted if t in produced}
        result = run(cfg.project, stage, run_id, pinned, overrides)
        stages[stage] = {k: result[k] for k in ("run_id", "status", "skipped", "outputs")}
        produced.update(result["outputs"])
        last = result
    tokenize_cfg = stage_config(project, "tokenize")
    shards = next(t for t in last["outputs"] if t.startswith(f"{ARTIFACT_PREFIX}mds-"))
    counts = last["counts"]
    docs = sum(v for k, v in counts.items() if k.startswith("source.") and k.endswith(".input"))
    return {
        "variant": variant.name,
        "status": "prepared",
        "stages": stages,
        "docs_table": f"{tokenize_cfg.input_table}@{produced[tokenize_cfg.input_table]}",
        "heldout": f"heldout_docs@{produced['heldout_docs']}",
        "shards": f"{shards}@{last['outputs'][shards]}",
        "docs": int(docs),
        "tokens": int(counts.get("tokens.written", 0)),
    }
