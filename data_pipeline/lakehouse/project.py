"""The project configuration: lakehouse root, Spark settings, sources and per-stage settings.

A project file (``conf/pipeline.yaml``) looks like::

    lakehouse: ./lakehouse
    spark: {master: "local[*]"}
    sources: sources/demo.yaml        # or an inline list of sources
    pipeline: [ingest, filter, dedup, tokenize]
    stages:
      ingest: {max_doc_chars: 1000000}

Relative paths are resolved against the folder of the file that names them. ``read_project``
checks everything but the stage sections, which only the stage registry can parse
(``data_pipeline.project.load_project`` does both); training and evaluation, which run no stage,
read their project with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from data_pipeline.lakehouse.config import (
    ConfigError,
    SourceConfig,
    SparkSettings,
    StrictModel,
    parse_model,
    read_yaml,
    resolve_path,
)


class OrchestrationSettings(StrictModel):
    """How flows run stages: per-stage timeouts in seconds (``default_timeout_s`` otherwise)."""

    default_timeout_s: float = Field(default=6 * 3600, gt=0)
    timeout_s: dict[str, float] = Field(default_factory=dict)

    def timeout_for(self, stage: str) -> float:
        return self.timeout_s.get(stage, self.default_timeout_s)


class ProjectConfig(StrictModel):
    """Everything a pipeline run needs to know, validated."""

    lakehouse: str = "./lakehouse"
    artifacts: str = "./artifacts"
    spark: SparkSettings = Field(default_factory=SparkSettings)
    sources: list[SourceConfig] = Field(default_factory=list)
    pipeline: list[str] = Field(default_factory=lambda: ["ingest"])
    stages: dict[str, dict[str, Any]] = Field(default_factory=dict)
    orchestration: OrchestrationSettings = Field(default_factory=OrchestrationSettings)
    origin: str = Field(default="<memory>", exclude=True)
    stage_files: dict[str, str] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="after")
    def _unique_sources(self) -> ProjectConfig:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(
            f"{self.origin}: no source named {name!r}; known: {[s.name for s in self.sources]}"
        )


def _load_sources(value: Any, base: Path, origin: str) -> list[dict]:
    """Sources as a list of dicts; a string or list of strings names YAML files of sources."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[dict] = []
    for item in items:
        if isinstance(item, str):
            path = Path(resolve_path(base, item))
            data = read_yaml(path)
            if isinstance(data, dict) and "sources" in data:
                data = data["sources"]
            for entry in _load_sources(data, path.parent, str(path)):
                out.append(entry)
        elif isinstance(item, dict):
            entry = dict(item)
            entry.setdefault("__origin__", origin)
            if "path" in entry and isinstance(entry["path"], str):
                entry["path"] = resolve_path(base, entry["path"])
            out.append(entry)
        else:
            raise ConfigError(f"{origin}: sources: expected a mapping or a file name, got {item!r}")
    return out


def _check_sources(entries: list[dict]) -> list[dict]:
    cleaned = []
    for index, entry in enumerate(entries):
        origin = entry.pop("__origin__", "<memory>")
        name = entry.get("name", f"#{index}")
        if not str(entry.get("licence", "")).strip():
            raise ConfigError(
                f"{origin}: source {name!r} has no licence. Every source must declare its "
                "licence (and provenance via 'path'); add e.g. `licence: CC-BY-SA-4.0`."
            )
        parse_model(SourceConfig, entry, f"{origin}: source {name!r}")
        cleaned.append(entry)
    return cleaned


def _load_stage_sections(
    stages: dict[str, Any], base: Path
) -> tuple[dict[str, Any], dict[str, str]]:
    """A stage section may be a mapping or the name of a YAML file holding that mapping.

    Returns the sections and, for those read from their own file, that file's path (errors in
    the section then name that file).
    """
    loaded, files = {}, {}
    for name, section in stages.items():
        if isinstance(section, str):
            files[name] = resolve_path(base, section)
            section = read_yaml(files[name]) or {}
        loaded[name] = section
    return loaded, files


def read_project(path: str | Path, overrides: dict[str, Any] | None = None) -> ProjectConfig:
    """Load and validate a project YAML but its stage sections; relative paths resolve against
    its folder."""
    path = Path(path).resolve()
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    raw = dict(raw)
    if overrides:
        raw.update(overrides)
    base = path.parent
    raw["sources"] = _check_sources(_load_sources(raw.get("sources"), base, str(path)))
    for key in ("lakehouse", "artifacts"):
        if isinstance(raw.get(key), str):
            raw[key] = resolve_path(base, raw[key])
    spark = raw.get("spark") or {}
    for key in ("jars_dir", "ivy_dir"):
        if isinstance(spark.get(key), str):
            spark[key] = resolve_path(base, spark[key])
    raw["spark"] = spark
    raw["stages"], raw["stage_files"] = _load_stage_sections(raw.get("stages") or {}, base)
    raw["origin"] = str(path)
    return parse_model(ProjectConfig, raw, str(path))
