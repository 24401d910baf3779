"""Typed configuration: YAML files map onto pydantic models that refuse unknown keys.

Every error names the file and the dotted key path, so a typo in ``conf/`` is found at once.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration file or value is wrong; the message names the file and the key."""


class StrictModel(BaseModel):
    """Base for every config model: unknown keys are refused, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=False)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "<top level>"


def _suggest(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """Return a 'did you mean' hint for an unknown key when a close field name exists."""
    target: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or target is None:
            continue
        field = getattr(target, "model_fields", {}).get(part)
        if field is None:
            return ""
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or (ann,)
        target = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
    fields = list(getattr(target, "model_fields", {}) or {})
    close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def format_validation_error(err: ValidationError, model: type[BaseModel], origin: str) -> str:
    """Turn a pydantic error into lines of 'origin: key.path: message'."""
    lines = []
    for item in err.errors():
        loc = tuple(item["loc"])
        if item["type"] == "extra_forbidden":
            msg = f"unknown key '{loc[-1]}'{_suggest(model, loc)}"
        else:
            msg = item["msg"]
        lines.append(f"{origin}: {_location(loc)}: {msg}")
    return "\n".join(lines)


def parse_model(model: type[M], data: Any, origin: str) -> M:
    """Validate ``data`` as ``model``; raise ConfigError naming ``origin`` on failure."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, model, origin)) from None


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file with a clear error when it is missing or malformed."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{p}: not valid YAML: {err}") from None


def load_model(model: type[M], path: str | Path) -> M:
    """Read ``path`` and validate it as ``model``."""
    return parse_model(model, read_yaml(path), str(path))


def stable_hash(value: Any) -> str:
    """SHA-256 (first 16 hex chars) of a JSON-serialisable value with sorted keys."""
    blob = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class SparkSettings(StrictModel):
    """Where and how Spark runs. Environment variables override the file (see ``from_env``).

    ``master``: ``local[*]`` by default, or a cluster URL (``spark://``, ``k8s://``, ``yarn``).
    ``jars_dir``: a folder of pre-fetched Delta jars (``infra/fetch_jars.sh``); when unset the
    jars are resolved from Maven Central by Spark's Ivy at session start.
    """

    master: str = "local[*]"
    app_name: str = "ladder"
    driver_memory: str = "4g"
    shuffle_partitions: int = Field(default=8, ge=1)
    ui: bool = False
    log_level: Literal["ERROR", "WARN", "INFO", "DEBUG"] = "ERROR"
    jars_dir: str | None = None
    ivy_dir: str | None = None
    conf: dict[str, str] = Field(default_factory=dict)

    def with_env(self) -> SparkSettings:
        """Apply ``LADDER_SPARK_*`` environment overrides."""
        env = {
            "master": os.environ.get("LADDER_SPARK_MASTER"),
            "driver_memory": os.environ.get("LADDER_SPARK_DRIVER_MEMORY"),
            "jars_dir": os.environ.get("LADDER_SPARK_JARS_DIR"),
            "ivy_dir": os.environ.get("LADDER_SPARK_IVY_DIR"),
            "ui": os.environ.get("LADDER_SPARK_UI"),
        }
        update: dict[str, str | bool] = {k: v for k, v in env.items() if v}
        if env["ui"]:
            update["ui"] = env["ui"].lower() in ("1", "true", "yes")
        return self.model_copy(update=update)


SourceFormat = Literal["jsonl", "parquet", "text", "warc", "wet", "arrow"]


class SourceConfig(StrictModel):
    """One input source. ``licence`` and ``name`` are mandatory: provenance is not optional."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    path: str
    format: SourceFormat
    licence: str
    text_field: str = "text"
    id_field: str | None = None
    url_field: str | None = None
    metadata_fields: list[str] = Field(default_factory=list)
    language: str | None = None
    description: str = ""

    @field_validator("licence")
    @classmethod
    def _licence_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("licence must not be blank")
        return value


def resolve_path(base: Path, value: str) -> str:
    """Resolve a relative filesystem path against ``base``; URIs are returned unchanged."""
    if "://" in value or os.path.isabs(value):
        return value
    return str((base / value).resolve())
