"""Stage code fingerprints (`data_pipeline.code_graph`): each stage's own modules and what they
import."""

from __future__ import annotations

import shutil
from pathlib import Path

from data_pipeline.code_graph import PACKAGES, ROOT, clear_caches, code_fingerprint

INGEST, TOKENIZE = "data_pipeline.stages.ingest", "data_pipeline.tokenize.stage"


def _copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def _edit(path: Path) -> None:
    path.write_text(path.read_text() + "\n# changed\n")
    clear_caches()


def test_same_sources_same_fingerprint_wherever_they_live(tmp_path):
    copy = _copy(tmp_path)
    assert code_fingerprint(INGEST, copy) == code_fingerprint(INGEST, ROOT)
    (copy / "data_pipeline" / "NOTES.md").write_text("docs do not count\n")
    clear_caches()
    assert code_fingerprint(INGEST, copy) == code_fingerprint(INGEST, ROOT)


def test_a_tokenize_edit_leaves_the_ingest_fingerprint(tmp_path):
    copy = _copy(tmp_path)
    ingest, tokenize = code_fingerprint(INGEST, copy), code_fingerprint(TOKENIZE, copy)
    assert ingest != tokenize
    _edit(copy / "data_pipeline" / "lakehouse" / "tokenizer.py")  # tokenize imports it
    assert code_fingerprint(INGEST, copy) == ingest
    assert code_fingerprint(TOKENIZE, copy) != tokenize
    _edit(copy / "data_pipeline" / "tokenize" / "stage.py")
    assert code_fingerprint(INGEST, copy) == ingest


def test_an_edit_of_what_a_stage_imports_changes_its_fingerprint(tmp_path):
    copy = _copy(tmp_path)
    ingest = code_fingerprint(INGEST, copy)
    _edit(copy / "data_pipeline" / "readers" / "jsonl.py")  # ingest -> readers -> jsonl
    assert code_fingerprint(INGEST, copy) != ingest


def test_training_code_is_outside_every_stage_fingerprint(tmp_path):
    copy = _copy(tmp_path)
    before = code_fingerprint(INGEST, copy)
    _edit(copy / "training" / "recipe.py")
    _edit(copy / "flows" / "cli.py")
    assert code_fingerprint(INGEST, copy) == before
