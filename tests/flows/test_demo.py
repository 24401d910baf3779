"""The summary ``ladder demo`` prints at the end of the whole ladder."""

from __future__ import annotations

from types import SimpleNamespace

from flows.demo import print_outputs


def test_summary_names_every_output_and_ends_with_the_comparison_table(capsys):
    project = SimpleNamespace(lakehouse="/lake")
    result = {
        "curate": [
            {
                "stage": "dedup",
                "skipped": False,
                "status": "succeeded",
                "outputs": {"deduped_docs": 3, "artifact:mds-corpus": 2},
                "counts": {"input": 10, "kept": 9, "rejected": 1, "source.a.kept": 9},
            }
        ],
        "train": {"hf_model": "/m", "checkpoint": "/c", "final_loss": 3.1},
        "tuned": "artifact:model/demo@1",
        "evaluate": {
            "table": "general (forgetting)\n| copa | acc |",
            "chart": "/e/c.png",
            "run_id": "r1",
        },
    }
    print_outputs(project, result)
    out = capsys.readouterr().out
    assert "deduped_docs@3" in out and "/lake/deduped_docs" in out and "(artifacts table)" in out
    assert "'kept': 9" in out and "source.a.kept" not in out
    assert "model artifact:model/demo@1: /m" in out and "chart: /e/c.png" in out
    assert out.rstrip().endswith("general (forgetting)\n| copa | acc |")
