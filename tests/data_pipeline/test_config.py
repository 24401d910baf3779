from pathlib import Path

import pytest

from data_pipeline.lakehouse.config import ConfigError
from data_pipeline.project import load_project


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


def test_unknown_key_is_named_with_its_file_and_a_suggestion(tmp_path):
    path = _write(tmp_path, "lakehouse: lh\nspark: {masterr: local}\n")
    with pytest.raises(ConfigError) as err:
        load_project(path)
    message = str(err.value)
    assert str(path) in message
    assert "spark.masterr: unknown key 'masterr'" in message
    assert "did you mean 'master'" in message


def test_source_without_licence_is_refused(tmp_path):
    path = _write(tmp_path, "sources:\n  - {name: web, path: x.jsonl, format: jsonl}\n")
    with pytest.raises(ConfigError, match="source 'web' has no licence"):
        load_project(path)


def test_unknown_source_key_names_the_source(tmp_path):
    path = _write(
        tmp_path,
        "sources:\n  - {name: web, path: x.jsonl, format: jsonl, licence: CC0, text_feld: body}\n",
    )
    with pytest.raises(ConfigError, match=r"source 'web'.*text_feld.*did you mean 'text_field'"):
        load_project(path)


def test_unknown_stage_is_refused(tmp_path):
    path = _write(tmp_path, "pipeline: [ingest, polish]\n")
    with pytest.raises(ConfigError, match="unknown stage 'polish'"):
        load_project(path)


def test_stage_settings_are_validated(tmp_path):
    path = _write(tmp_path, "stages:\n  ingest: {on_bad_file: ignore}\n")
    with pytest.raises(ConfigError, match=r"stages\.ingest.*on_bad_file"):
        load_project(path)


def test_relative_paths_resolve_against_the_file(tmp_path):
    path = _write(
        tmp_path,
        "lakehouse: lh\nsources:\n  - {name: a, path: in/*.jsonl, format: jsonl, licence: CC0}\n",
    )
    project = load_project(path)
    assert project.lakehouse == str(tmp_path / "lh")
    assert project.sources[0].path == str(tmp_path / "in" / "*.jsonl")


def test_sources_can_come_from_another_file(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "s.yaml").write_text(
        "sources:\n  - {name: a, path: data.jsonl, format: jsonl, licence: CC0}\n"
    )
    path = _write(tmp_path, "sources: src/s.yaml\n")
    project = load_project(path)
    assert project.sources[0].path == str(tmp_path / "src" / "data.jsonl")
