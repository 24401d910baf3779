"""The training-side steps of an ablation, shared by the Prefect flow and ``--no-prefect``
(the data side, ``prepare_variant``, is in ``flows/ablate_data.py``).

- ``eval_heldout``: one fixed held-out set for every variant (table ``ablation_heldout``).
- ``train_proxy``: one proxy run of a variant and seed on its shard set, exactly the budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data_pipeline.lakehouse.names import ARTIFACT_PREFIX
from training.ablation import AblationConfig

HELDOUT_TABLE = "ablation_heldout"


def eval_heldout(lakehouse, prepared: list[dict[str, Any]], reference: str, run_id: str) -> str:
    """The reference variant's held-out documents that no variant trains on, written as
    ``ablation_heldout`` (recorded in ``runs``); returns ``ablation_heldout@V``."""
    from data_pipeline.lakehouse.recording import recorded_run
    from data_pipeline.lakehouse.tables import CommitInfo, TableVersion, TableWrite

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

    def pinned(ref: str) -> TableVersion:
        table, version = TableVersion.parse(ref)
        return TableVersion(table, int(version or 0))

    inputs = [pinned(p["docs_table"]) for p in prepared] + [pinned(ref["heldout"])]
    stage = "ablate-heldout"
    config = {"reference": reference, "variants": [p["variant"] for p in prepared]}
    with recorded_run(lakehouse, stage, run_id, inputs, config, announce=False) as record:
        commit = CommitInfo(run_id, stage, record.config_hash, record.code_version, tuple(inputs))
        written = lakehouse.write(TableWrite(HELDOUT_TABLE, heldout), commit)
        record.outputs = [written]
        record.counts = {"docs": lakehouse.read(HELDOUT_TABLE, written.version).count()}
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
    model = next(o for o in result["outputs"] if o.startswith(f"{ARTIFACT_PREFIX}model/"))
    return {
        "seed": seed,
        "run_name": result["run_name"],
        "model": model,
        "batches": result.get("batches"),
        "tokens": result.get("tokens"),
        "train_loss": float(sum(tail) / len(tail)),
    }
