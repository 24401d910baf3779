"""Parquet files, split by row groups when a file is larger than the target split size.

A row group that cannot be decoded (a corrupt page) is one quarantined ``corrupt_row_group``
record naming its index and row count; the file's other row groups are read.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.storage import FileInfo
from data_pipeline.readers.base import PartlyRead, RowBuffer, Split, SplitReader
from data_pipeline.readers.fields import map_record


def record_batches_to_rows(
    batches: Iterator[pa.RecordBatch], reader: SplitReader, out: RowBuffer, first_row: int
) -> Iterator[pa.RecordBatch]:
    """Map the rows of Arrow batches through the source's field mapping into ``out``."""
    row = first_row
    for batch in batches:
        for record in batch.to_pylist():
            text, url, metadata = map_record(record, reader.source)
            reader.check_text(
                out,
                f"row {row}",
                row,
                text,
                url,
                metadata,
                None if isinstance(text, str) else str(record)[:1024],
            )
            row += 1
            if out.full():
                yield out.flush()


def _row_group_start(meta: pq.FileMetaData, group: int) -> int:
    """Byte offset where a row group's first column chunk begins."""
    rg = meta.row_group(group)
    starts = []
    for c in range(rg.num_columns):
        chunk = rg.column(c)
        first = chunk.data_page_offset
        if chunk.has_dictionary_page and chunk.dictionary_page_offset:
            first = min(first, chunk.dictionary_page_offset)
        starts.append(first)
    return min(starts) if starts else 0


def groups_in_range(meta: pq.FileMetaData, start: int, end: int) -> list[int]:
    """Row groups that begin in ``[start, end)`` (``end < 0``: to the end of the file).

    A split is a byte range planned from the file size alone; the row groups it owns are read
    from the footer by the worker, so every row group belongs to exactly one split.
    """
    return [
        g
        for g in range(meta.num_row_groups)
        if (start == 0 or _row_group_start(meta, g) >= start)
        and (end < 0 or _row_group_start(meta, g) < end)
    ]


class ParquetReader(SplitReader):
    """Rows of Parquet files; a split is a byte range, owning the row groups that start in it."""

    format = "parquet"

    def plan(self, file: FileInfo, name: str, target_bytes: int) -> list[Split]:
        return self.byte_ranges(file, name, target_bytes)

    def read(self, split: Split, out: RowBuffer) -> Iterator[pa.RecordBatch]:
        with storage.open(split.path, "rb") as f:
            pf = pq.ParquetFile(f)
            meta = pf.metadata
            groups = groups_in_range(meta, split.start, split.end)
            first_row = sum(meta.row_group(g).num_rows for g in range(groups[0])) if groups else 0
            top_field = self.source.text_field.split(".")[0]
            if top_field not in pf.schema_arrow.names:
                raise KeyError(
                    f"column {top_field!r} not in Parquet schema {pf.schema_arrow.names}"
                )
            lost = []
            for group in groups:
                rows = meta.row_group(group).num_rows
                try:
                    table = pf.read_row_group(group)  # decoded whole: a bad page fails here
                except Exception as err:
                    lost.append(group)
                    error = f"row group {group} ({rows:,} rows) unreadable: {type(err).__name__}"
                    out.bad(f"row group {group}", first_row, "corrupt_row_group", f"{error}: {err}")
                else:
                    batches = iter(table.to_batches(max_chunksize=1024))
                    yield from record_batches_to_rows(batches, self, out, first_row)
                first_row += rows
            if lost:
                raise PartlyRead(f"row groups {lost} of {split.path} unreadable; the others read")
