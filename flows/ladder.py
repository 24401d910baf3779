"""The end-to-end ladder: curate the corpus, train on its shards, evaluate tuned against base."""

from __future__ import annotations

from typing import Any

from prefect import flow

from data_pipeline.lakehouse.names import ARTIFACT_PREFIX
from flows.curate import curate
from flows.evaluate import compare_models
from flows.train import train_flow

DEFAULT_RECIPE = "conf/train/demo_cpt.yaml"


def model_ref(train_result: dict[str, Any]) -> str:
    """The trained model as an artifact reference (its HF folder when none was registered)."""
    for ref in train_result.get("outputs", []):
        if ref.startswith(f"{ARTIFACT_PREFIX}model/"):
            return ref
    return train_result["hf_model"]


def ladder_plain(
    config: str = "conf/pipeline.yaml",
    recipe: str = DEFAULT_RECIPE,
    base: str = "smollm2-135m-instruct",
    eval_limit: int = 10,
    eval_tasks: list[str] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """``ladder`` without Prefect (``--no-prefect``): the same steps and result, in-process."""
    from flows.curate import curate_plain
    from flows.evaluate import compare_plain
    from training.orchestrate import run_training

    curated = curate_plain(config=config, force=force)
    trained = run_training(recipe)
    tuned = model_ref(trained)
    compared = compare_plain(base=base, tuned=tuned, tasks=eval_tasks, limit=eval_limit)
    return {"curate": curated, "train": trained, "tuned": tuned, "evaluate": compared}


@flow(name="ladder", log_prints=True)
def ladder(
    config: str = "conf/pipeline.yaml",
    recipe: str = DEFAULT_RECIPE,
    base: str = "smollm2-135m-instruct",
    eval_limit: int = 10,
    eval_tasks: list[str] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Curate (cached stages skipped), train ``recipe``, then compare the model with ``base``
    on a ``eval_limit``-item gauntlet plus domain bits per byte on the held-out split."""
    curated = curate(config=config, force=force)
    trained = train_flow(recipe=recipe)
    tuned = model_ref(trained)
    compared = compare_models(base=base, tuned=tuned, tasks=eval_tasks, limit=eval_limit)
    return {"curate": curated, "train": trained, "tuned": tuned, "evaluate": compared}
