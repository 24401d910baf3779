"""Run paths for local and remote roots, and local copies of remote folders."""

from __future__ import annotations

import uuid

from data_pipeline.lakehouse import storage
from training.paths import RunPaths, complete_marker, local_copy, local_mirror


def test_a_local_root_is_its_own_scratch(tmp_path):
    paths = RunPaths.at(tmp_path / "run")
    assert not paths.remote and paths.scratch == tmp_path / "run"
    assert paths.result == str(tmp_path / "run" / "result.json")
    assert paths.remote_checkpoints is None and paths.checkpoints == tmp_path / "run/checkpoints"


def test_a_remote_root_keeps_working_files_in_scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("LADDER_SCRATCH", str(tmp_path))
    paths = RunPaths.at("s3://bucket/artifacts/train/tiny-1")
    assert paths.remote and paths.scratch == tmp_path / "s3/bucket/artifacts/train/tiny-1"
    assert paths.result == "s3://bucket/artifacts/train/tiny-1/result.json"
    assert paths.hf_model == "s3://bucket/artifacts/train/tiny-1/hf_model"
    assert paths.remote_checkpoints == "s3://bucket/artifacts/train/tiny-1/checkpoints"
    assert (
        paths.checkpoints == paths.scratch / "checkpoints" and paths.recipe.parent == paths.scratch
    )


def test_local_copy_downloads_once_and_completely(tmp_path, monkeypatch):
    monkeypatch.setenv("LADDER_SCRATCH", str(tmp_path / "scratch"))
    uri = f"memory://bucket/{uuid.uuid4().hex}/hf_model"
    storage.write_text(f"{uri}/config.json", "{}")
    storage.write_bytes(f"{uri}/weights/model.bin", b"w" * 10)
    copy = local_copy(uri)
    assert copy == local_mirror(uri) and complete_marker(copy).read_text() == uri
    assert storage.hash_tree(str(copy)) == storage.hash_tree(uri)
    storage.write_text(f"{uri}/config.json", '{"changed": 1}')
    assert (local_copy(uri) / "config.json").read_text() == "{}"  # reused, not fetched again
    complete_marker(copy).unlink()  # an interrupted download is started over
    assert (local_copy(uri) / "config.json").read_text() == '{"changed": 1}'
    storage.remove_tree(uri)


def test_package_models_stay_local_when_artifacts_are_remote(tmp_path, monkeypatch):
    from training.paths import package_models_root

    monkeypatch.setenv("LADDER_CACHE_DIR", str(tmp_path / "cache"))
    assert package_models_root("s3://bucket/artifacts") == tmp_path / "cache"
    assert package_models_root(str(tmp_path / "artifacts")) == tmp_path / "artifacts"
    assert package_models_root(None) is None
