"""``ladder demo``: prepare the sample corpus, run the ladder on it, print where outputs are."""

from __future__ import annotations

from pathlib import Path

from data_pipeline.project import load_project


def run_demo(config: str, force: bool = False) -> int:
    """Run the whole chain on the embedded defaults and print every output's location."""
    from data_pipeline.samples import prepare_landing
    from flows.curate import curate

    config_path = Path(config).resolve()
    project = load_project(config_path)
    landing = config_path.parent.parent / "data" / "landing"
    print(f"sample corpus: {landing}")
    prepare_landing(landing)
    results = curate(config=str(config_path), force=force)
    print("\nOutputs")
    print(f"  lakehouse: {project.lakehouse}")
    for result in results:
        state = "cached" if result["skipped"] else result["status"]
        for table, version in result["outputs"].items():
            print(
                f"  {result['stage']:<10} {table}@{version:<4} ({state})  "
                f"{project.lakehouse}/{table}"
            )
        counts = {k: v for k, v in result["counts"].items() if "." not in k}
        print(f"  {'':<10} counts: {counts}")
    print("\nLineage of any table: ladder lineage TABLE[@VERSION]")
    return 0
