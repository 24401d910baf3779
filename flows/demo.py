"""``ladder demo``: prepare the sample corpus, run the whole ladder, print where outputs are."""

from __future__ import annotations

from pathlib import Path

from data_pipeline.project import load_project

DEMO_RECIPE = "conf/train/demo_cpt.yaml"


def run_demo(
    config: str, force: bool = False, eval_limit: int = 10, use_prefect: bool = True
) -> int:
    """Curate the sample corpus, continue-pretrain the base model on it, evaluate tuned vs base
    (``use_prefect=False``: the same steps in-process, without Prefect)."""
    from data_pipeline.samples import prepare_landing
    from flows.ladder import ladder, ladder_plain

    config_path = Path(config).resolve()
    project = load_project(config_path)
    landing = config_path.parent.parent / "data" / "landing"
    print(f"sample corpus: {landing}")
    prepare_landing(landing)
    recipe = config_path.parent / "train" / Path(DEMO_RECIPE).name
    result = (ladder if use_prefect else ladder_plain)(
        config=str(config_path), recipe=str(recipe), eval_limit=eval_limit, force=force
    )
    print_outputs(project, result)
    return 0


def print_outputs(project, result: dict) -> None:
    print("\nOutputs")
    print(f"  lakehouse: {project.lakehouse}")
    for stage in result["curate"]:
        state = "cached" if stage["skipped"] else stage["status"]
        for table, version in stage["outputs"].items():
            where = f"{project.lakehouse}/{table}" if ":" not in table else "(artifacts table)"
            print(f"  {stage['stage']:<10} {f'{table}@{version}':<28} {state:<10} {where}")
        counts = {k: v for k, v in stage["counts"].items() if "." not in k}
        print(f"  {'':<10} counts: {counts}")
    trained = result["train"]
    print(f"  train      model {result['tuned']}: {trained.get('hf_model')}")
    print(f"  {'':<10} checkpoint: {trained.get('checkpoint')}")
    print(
        f"  {'':<10} MLflow: {trained.get('mlflow_tracking_uri')} run "
        f"{trained.get('mlflow_run_id')}; final loss {trained.get('final_loss')}"
    )
    print(f"  evaluate   eval_results: {project.lakehouse}/eval_results")
    compared = result["evaluate"]
    print(f"  {'':<10} chart: {compared.get('chart')}")
    print(
        "\nNext: ladder status | ladder lineage TABLE[@VERSION] | ladder report filtered_docs"
        " | make platform (Prefect UI)"
    )
    print(f"\nBase vs tuned (run {compared.get('run_id')})\n{compared['table']}")
