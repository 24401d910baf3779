"""Reusing a run name: only with the recipe the run was started with.

A run folder keeps the resolved recipe it was started with (``<run>/recipe.yaml``). Starting the
same run name again resumes that run, which is only sound with the same recipe: Composer would
resume the old state under new settings, and MLflow refuses changed parameters ("Changing param
values is not allowed"). The rule: once a run has trained (checkpoints, metrics or a result), a
different recipe under its name is refused with one line naming the changed keys; before that,
the new recipe simply replaces the saved one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.config import ConfigError


class RunNameReused(ConfigError):
    """A run name was given again with a different recipe."""


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def changed_keys(saved: dict, current: dict) -> list[str]:
    """Dotted keys whose values differ, as ``key: old -> new``."""
    old, new = _flat(saved), _flat(current)
    return [
        f"{key}: {old.get(key)!r} -> {new.get(key)!r}"
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def has_trained(paths: Any) -> bool:
    """Whether the run (a ``RunPaths``) holds anything training wrote, locally or remotely."""
    checkpoints: Path = paths.checkpoints
    return (
        paths.metrics.is_file()
        or storage.exists(paths.result)
        or (checkpoints.is_dir() and any(checkpoints.iterdir()))
        or (
            paths.remote_checkpoints is not None
            and bool(storage.list_files(paths.remote_checkpoints))
        )
    )


def check_same_recipe(paths, recipe) -> None:
    """Raise ``RunNameReused`` when ``paths`` (a ``RunPaths``) holds a run that trained under
    another recipe than ``recipe``."""
    if not paths.recipe.is_file() or not has_trained(paths):
        return
    saved = yaml.safe_load(paths.recipe.read_text()) or {}
    changes = changed_keys(saved, recipe.dump())
    if changes:
        shown = "; ".join(changes[:3]) + (f"; +{len(changes) - 3} more" if len(changes) > 3 else "")
        raise RunNameReused(
            f"run name {storage.basename(paths.root)!r} was started with another recipe ({shown}): "
            "rerun with the same recipe to resume it, or choose a new --run-name"
        )
