"""Run ids, run names, table and artifact names: one strict pattern; derived paths stay home."""

from __future__ import annotations

import argparse

import pytest

from data_pipeline.lakehouse.names import (
    InvalidName,
    arg_type,
    check_artifact_name,
    check_name,
    within,
)

BAD = ["x/../../../../elsewhere", "..", ".hidden", "", "a b", "a\nb", "/abs", "x" * 129, "ä"]
GOOD = ["20261202T010000Z-1a2b3c", "demo_cpt-1a2b3c4d", "ingested_docs", "v1.2", "X"]


@pytest.mark.parametrize("value", BAD)
def test_bad_names_are_refused(value):
    with pytest.raises(InvalidName, match=r"run id .* is not allowed"):
        check_name(value, "run id")
    with pytest.raises(argparse.ArgumentTypeError):
        arg_type("run id")(value)


@pytest.mark.parametrize("value", GOOD)
def test_good_names_pass(value):
    assert check_name(value) == value


def test_artifact_names_are_name_segments():
    assert check_artifact_name("model/demo-1a2b") == "model/demo-1a2b"
    for bad in ("model/../x", "/model", "model//x", "model/"):
        with pytest.raises(InvalidName):
            check_artifact_name(bad)


def test_within_refuses_paths_that_leave_their_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    assert within(root, root / "a" / "b") == root.resolve() / "a" / "b"
    with pytest.raises(InvalidName, match="resolves outside"):
        within(root, root / ".." / "elsewhere")
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidName):
        within(root, root / "link" / "x")


def test_shard_version_folder_refuses_an_escaping_run_id(tmp_path):
    from data_pipeline.tokenize.mds_sets import set_root, version_dir

    root = set_root(tmp_path, "corpus")
    assert version_dir(root, "20261202T010000Z-abc") == f"{root}/v20261202T010000Z-abc"
    with pytest.raises(InvalidName):
        version_dir(root, "x/../../../../elsewhere")
    with pytest.raises(InvalidName):
        set_root(tmp_path, "../corpus")


def test_training_run_folder_refuses_an_escaping_run_name(tmp_path):
    from training.recipe import Recipe
    from training.trainer import run_paths

    recipe_output = tmp_path / "runs"
    recipe = Recipe.model_construct(output_root=str(recipe_output))
    assert run_paths(recipe, "demo-1").root == str(recipe_output / "demo-1")
    with pytest.raises(InvalidName, match="run name"):
        run_paths(recipe, "../../elsewhere")


def test_partial_shard_folders_of_killed_runs_are_removed(tmp_path):
    from pathlib import Path

    from data_pipeline.tokenize.mds_sets import MANIFEST, fresh_version_dir, set_root

    root = Path(set_root(tmp_path, "corpus"))
    (root / "vdone" / "text").mkdir(parents=True)
    (root / "vdone" / MANIFEST).write_text("{}")
    (root / "vkilled" / "text" / "part-00000").mkdir(parents=True)  # no manifest: killed
    (root / "vnow" / "stale.mds").parent.mkdir(parents=True)
    (root / "vnow" / "stale.mds").write_text("from the failed attempt of this run")
    (root / ".LATEST.4242").write_text("vkilled\n")
    out, removed = fresh_version_dir(str(root), "now")
    assert out == str(root / "vnow") and list((root / "vnow").iterdir()) == []
    assert sorted(Path(p).name for p in removed) == [".LATEST.4242", "vkilled"]
    assert sorted(p.name for p in root.iterdir()) == ["vdone", "vnow"]
