"""A run name given again with a changed recipe is refused in one line, before training."""

from __future__ import annotations

import pytest


def test_a_run_name_reused_with_a_changed_recipe_is_refused_in_one_line(tmp_path):
    import yaml

    from tests.training.conftest import recipe_dict
    from training.recipe_files import recipe_from_dict
    from training.reuse import RunNameReused, check_same_recipe
    from training.trainer import run_paths

    first = recipe_from_dict(recipe_dict(tmp_path, tmp_path, duration="10ba"), "x.yaml")
    second = recipe_from_dict(recipe_dict(tmp_path, tmp_path, duration="20ba"), "x.yaml")
    paths = run_paths(first, "X")
    paths.scratch.mkdir(parents=True)
    paths.recipe.write_text(yaml.safe_dump(first.dump()))
    check_same_recipe(paths, second)  # nothing trained yet: the new recipe may replace it
    paths.metrics.write_text('{"batch": 1, "loss": 3.0}\n')
    check_same_recipe(paths, first)  # the same recipe resumes
    with pytest.raises(RunNameReused, match=r"run name 'X' .*duration: '10ba' -> '20ba'") as err:
        check_same_recipe(paths, second)
    assert "\n" not in str(err.value) and "new --run-name" in str(err.value)

    from training.run import train

    with pytest.raises(RunNameReused):  # before any trainer (and MLflow run) is built
        train(second, "X")
