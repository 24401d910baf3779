"""Recipe files: load ``conf/train/*.yaml`` into a ``Recipe``, apply overrides, save it back.

Contract: ``load_recipe`` reads one YAML mapping, applies ``--set KEY.PATH=VALUE`` overrides
(values parsed as YAML), defaults ``name`` to the file's stem, resolves relative paths against
the file's folder and validates with ``training.recipe.Recipe``. Every error is a
``ConfigError`` naming the file and dotted key (invalid value) or the override (malformed).
Known base-model names, the ``default`` tokenizer, ``artifact:``/``table:`` references and URIs
(``s3://...``) are left as they are. ``save_recipe`` writes the resolved recipe (absolute
paths) that the launcher hands to every training process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from data_pipeline.lakehouse.config import ConfigError, parse_model, read_yaml, resolve_path
from data_pipeline.lakehouse.names import ARTIFACT_PREFIX
from training.recipe import TABLE_PREFIX, Recipe


def _is_pathlike(value: str) -> bool:
    return not value.startswith((ARTIFACT_PREFIX, TABLE_PREFIX)) and "://" not in value


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    """Resolve the recipe's relative paths against its folder (in place)."""
    from training.base_model import KNOWN_BASE_MODELS

    def fix(section: dict | None, key: str, known: tuple[str, ...] = ()) -> None:
        if isinstance(section, dict) and isinstance(section.get(key), str):
            value = section[key]
            if value not in known and _is_pathlike(value):
                section[key] = resolve_path(base, value)

    for key in ("project", "output_root"):
        fix(raw, key)
    fix(raw.get("model"), "source", tuple(KNOWN_BASE_MODELS))
    fix(raw.get("model"), "tokenizer", ("default",))
    if isinstance((raw.get("model") or {}).get("config"), str):
        fix(raw["model"], "config")
    for key in ("shards", "mix", "eval_shards"):
        fix(raw.get("data"), key)
    mlflow = (raw.get("monitoring") or {}).get("mlflow")
    fix(mlflow, "tracking_uri")


def apply_overrides(raw: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides (values parsed as YAML) to a raw recipe dict."""
    for item in overrides or []:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r}: expected KEY.PATH=VALUE")
        node = raw
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
        node[parts[-1]] = yaml.safe_load(text)
    return raw


def recipe_from_dict(raw: dict[str, Any], origin: str, base: Path | None = None) -> Recipe:
    """Validate a raw recipe mapping; paths resolve against ``base`` (default: cwd)."""
    raw = dict(raw)
    _resolve_paths(raw, base or Path.cwd())
    raw["origin"] = origin
    return parse_model(Recipe, raw, origin)


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Load ``conf/train/NAME.yaml`` (or a bare name found there) with ``--set`` overrides."""
    path = Path(path)
    if not path.suffix and not path.exists():
        path = Path("conf/train") / f"{path}.yaml"
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    raw = apply_overrides(raw, overrides)
    raw.setdefault("name", path.stem)
    return recipe_from_dict(raw, str(path.resolve()), path.resolve().parent)


def save_recipe(recipe: Recipe, path: str | Path) -> Path:
    """Write the fully resolved recipe (absolute paths, pinned artifacts) for the launcher."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(recipe.dump(), sort_keys=False))
    return path
