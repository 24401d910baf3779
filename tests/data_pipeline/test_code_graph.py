"""The code part of stage cache keys."""

from __future__ import annotations

import shutil
from pathlib import Path

from data_pipeline.lineage import code_fingerprint

PACKAGE = Path(__file__).resolve().parents[2] / "data_pipeline"


def test_code_fingerprint_follows_stage_source_only(tmp_path):
    copy = tmp_path / "data_pipeline"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = code_fingerprint(copy)
    assert original == code_fingerprint(PACKAGE)  # same sources, same key, wherever they live
    (copy / "NOTES.md").write_text("docs do not count\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint(copy) == original
    stage = copy / "stages" / "filter.py"
    stage.write_text(stage.read_text() + "\n# changed\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint(copy) != original
