"""The plain steps of an ablation, shared by the Prefect flow and ``--no-prefect``.

- ``prepare_variant``: the variant's stage chain, each stage pinned to the versions the previous
  stage of *this* variant wrote (variants write the same tables in turn, never reading each
  other's); cache hits make the shared prefix run once.
- ``eval_heldout``: one fixed held-out set for every variant (table ``ablation_heldout``).
- ``train_proxy``: one proxy run of a variant and seed on its shard set, exactly the budget.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from data_pipeline.config import stable_hash
from training.ablation import AblationConfig, Variant, variant_stages

HELDOUT_TABLE = "ablation_heldout"
# (config path, stage, run id, pinned inputs, project overrides) -> the stage's result dict
StageRunner = Callable[[str, str, str, dict[str, int], dict[str, Any]], dict[str, Any]]


def chain_of(cfg: AblationConfig) -> list[str]:
    from data_pipeline.project import load_project

    chain = cfg.stages or load_project(cfg.project).pipeline
    if "tokenize" not in chain:
        raise ValueError(f"{cfg.origin}: the stage chain {chain} must end with tokenize")
    return chain[: chain.index("tokenize") + 1]


def prepare_variant(
    cfg: AblationConfig, variant: Variant, run_id: str, run: StageRunner
) -> dict[str, Any]:
    """Run the variant's chain; its table versions, documents, shard set and token count."""
    from data_pipeline.project import load_project
    from data_pipeline.stages import get_stage

    chain = chain_of(cfg)
    overrides = {"stages": variant_stages(cfg, variant, chain)}
    project = load_project(cfg.project, overrides)  # every override validated before Spark
    produced: dict[str, int] = {}
    stages: dict[str, dict[str, Any]] = {}
    for stage in chain:
        wanted = get_stage(stage).input_tables(project.stage_config(stage))
        pinned = {t: produced[t] for t in wanted if t in produced}
        result = run(cfg.project, stage, run_id, pinned, overrides)
        stages[stage] = {k: result[k] for k in ("run_id", "status", "skipped", "outputs")}
        produced.update(result["outputs"])
        last = result
    tokenize_cfg = project.stage_config("tokenize")
    shards = next(t for t in last["outputs"] if t.startswith("artifact:mds-"))
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


def eval_heldout(lakehouse, prepared: list[dict[str, Any]], reference: str, run_id: str) -> str:
    """The reference variant's held-out documents that no variant trains on, written as
    ``ablation_heldout`` (recorded in ``runs``); returns ``ablation_heldout@V``."""
    from data_pipeline.lakehouse import CommitInfo, TableVersion, TableWrite
    from data_pipeline.lineage import SUCCEEDED, RunLog, RunRecord, code_version

    def read(ref: str):
        table, version = TableVersion.parse(ref)
        return lakehouse.read(table, version)

    ref = next(p for p in prepared if p["variant"] == reference)
    heldout = read(ref["heldout"])
    for p in prepared:  # documents a variant trains on: its docs minus its own held-out split
        trained = (
            read(p["docs_table"])
            .select("doc_id")
            .join(read(p["heldout"]).select("doc_id"), "doc_id", "left_anti")
        )
        heldout = heldout.join(trained, "doc_id", "left_anti")
    inputs = [TableVersion(*TableVersion.parse(p["docs_table"])) for p in prepared]
    inputs.append(TableVersion(*TableVersion.parse(ref["heldout"])))
    stage = "ablate-heldout"
    config = {"reference": reference, "variants": [p["variant"] for p in prepared]}
    commit = CommitInfo(run_id, stage, stable_hash(config), code_version(), tuple(inputs))
    written = lakehouse.write(TableWrite(HELDOUT_TABLE, heldout), commit)
    now = dt.datetime.now(dt.UTC)
    RunLog(lakehouse).record(
        RunRecord(
            run_id=run_id, stage=stage, status=SUCCEEDED, config_json=json.dumps(config),
            config_hash=commit.config_hash, inputs=inputs, outputs=[written],
            counts={"docs": lakehouse.read(HELDOUT_TABLE, written.version).count()},
            started_at=now, ended_at=now, duration_s=0.0,
        )
    )  # fmt: skip
    return str(written)


def proxy_overrides(cfg: AblationConfig, variant: str, shards: str, seed: int, batches: int):
    """Recipe overrides of one proxy run: its shard set, seed and exact length."""
    return [
        f"name={cfg.name}-{variant}-s{seed}",
        f"data.shards={shards}",
        f"seed={seed}",
        f"duration={batches}ba",
    ]


def train_proxy(cfg: AblationConfig, prepared: dict, seed: int, batches: int) -> dict[str, Any]:
    """Train (or reuse) one proxy: its model ref, tokens seen and final training loss (the mean
    of the last quarter of logged batch losses)."""
    from training.callbacks.loss_history import read_history
    from training.orchestrate import run_training

    overrides = proxy_overrides(cfg, prepared["variant"], prepared["shards"], seed, batches)
    result = run_training(cfg.proxy.recipe, overrides)
    history, _ = read_history(
        Path(result.get("scratch_dir") or result["run_dir"]) / "metrics.jsonl"
    )
    losses = [r["loss"] for _, r in sorted(history.items()) if r.get("loss") is not None]
    tail = losses[-max(1, len(losses) // 4) :] or [result.get("final_loss")]
    model = next(o for o in result["outputs"] if o.startswith("artifact:model/"))
    return {
        "seed": seed,
        "run_name": result["run_name"],
        "model": model,
        "batches": result.get("batches"),
        "tokens": result.get("tokens"),
        "train_loss": float(sum(tail) / len(tail)),
    }
