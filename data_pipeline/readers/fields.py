"""Field mapping shared by the record-oriented readers (JSONL, Parquet, Arrow)."""

from __future__ import annotations

import json
from typing import Any

from data_pipeline.lakehouse.config import SourceConfig

_MISSING = object()


def lookup(record: dict, dotted: str) -> Any:
    """``record['a']['b']`` for ``'a.b'``; a missing key gives None."""
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part, _MISSING)
        if value is _MISSING:
            return None
    return value


def as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def map_record(record: dict, source: SourceConfig) -> tuple[Any, str | None, dict[str, str]]:
    """(text, url, metadata) of one record according to the source's field mapping."""
    text = lookup(record, source.text_field)
    url = lookup(record, source.url_field) if source.url_field else None
    metadata: dict[str, str] = {}
    if source.id_field:
        source_id = lookup(record, source.id_field)
        if source_id is not None:
            metadata["source_id"] = as_string(source_id)
    for name in source.metadata_fields:
        value = lookup(record, name)
        if value is not None:
            metadata[name] = as_string(value)
    if source.language:
        metadata["lang_hint"] = source.language
    return text, (as_string(url) if url is not None else None), metadata
