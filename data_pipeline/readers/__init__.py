"""One reader per input format. Each turns a split of a file into raw rows (see ``base``).

``READERS`` maps a source's ``format`` to its reader class: a new format is one module here
plus one entry in that dict.
"""

from __future__ import annotations

from collections.abc import Iterable

from data_pipeline.lakehouse.config import SourceConfig
from data_pipeline.lakehouse.storage import FileInfo
from data_pipeline.readers.arrow_dir import ArrowDirReader
from data_pipeline.readers.base import (
    RAW_SCHEMA,
    ReadOptions,
    Split,
    SplitReader,
    reader_files,
    relative_name,
)
from data_pipeline.readers.jsonl import JsonlReader
from data_pipeline.readers.parquet import ParquetReader
from data_pipeline.readers.text_dir import TextFileReader
from data_pipeline.readers.warc import WarcReader

READERS: dict[str, type[SplitReader]] = {
    "jsonl": JsonlReader,
    "parquet": ParquetReader,
    "text": TextFileReader,
    "warc": WarcReader,
    "wet": WarcReader,
    "arrow": ArrowDirReader,
}


def get_reader(source: SourceConfig, options: ReadOptions) -> SplitReader:
    """The reader for ``source.format``."""
    return READERS[source.format](source, options)


def plan_splits(
    source: SourceConfig,
    options: ReadOptions,
    target_bytes: int,
    files: Iterable[FileInfo] | None = None,
) -> list[Split]:
    """Cut the files of ``source`` into splits of about ``target_bytes`` (no file is opened)."""
    reader = get_reader(source, options)
    listed = list(files) if files is not None else reader_files(source)
    splits: list[Split] = []
    for file in listed:
        splits.extend(reader.plan(file, relative_name(file.path, source.path), target_bytes))
    return splits


__all__ = ["RAW_SCHEMA", "READERS", "Split", "SplitReader", "get_reader", "plan_splits"]
