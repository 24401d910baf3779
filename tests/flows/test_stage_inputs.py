"""Where the flows find the gauntlet whose items they publish (the publishing itself runs in
``tests/data_pipeline/stages/test_decontaminate.py``, through ``run_stage_with_inputs``)."""

from __future__ import annotations

from flows.stage_inputs import REPO_GAUNTLET, gauntlet_path


def test_the_gauntlet_path_resolves_against_the_project_file_local_or_remote():
    assert gauntlet_path("eval/g.yaml", "/p/conf/pipeline.yaml") == "/p/conf/eval/g.yaml"
    assert gauntlet_path("eval/g.yaml", "s3://bk/conf/pipeline.yaml") == "s3://bk/conf/eval/g.yaml"
    assert gauntlet_path("/abs/g.yaml", "s3://bk/pipeline.yaml") == "/abs/g.yaml"
    assert gauntlet_path("gs://b/g.yaml", "/p/pipeline.yaml") == "gs://b/g.yaml"
    assert gauntlet_path(None, "/p/pipeline.yaml") == str(REPO_GAUNTLET)
    assert REPO_GAUNTLET.is_file()
