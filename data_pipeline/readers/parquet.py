"""Parquet files, split by row groups when a file is larger than the target split size."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from data_pipeline.readers.base import RowBuffer, Split, SplitReader, _size
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


class ParquetReader(SplitReader):
    """Rows of Parquet files; a split is a range of row groups."""

    format = "parquet"

    def plan(self, path: str, target_bytes: int) -> list[Split]:
        size = _size(path)
        try:
            groups = pq.ParquetFile(path).metadata.num_row_groups
        except Exception:
            groups = 1  # unreadable: one split, whose read reports the error
        if size <= target_bytes or groups <= 1:
            return [Split(self.source.name, path, self.format, 0, -1, size)]
        per = max(1, int(groups * target_bytes / size))
        return [
            Split(
                self.source.name,
                path,
                self.format,
                g,
                min(g + per, groups),
                size * min(per, groups - g) // groups,
            )
            for g in range(0, groups, per)
        ]

    def read(self, split: Split, out: RowBuffer) -> Iterator[pa.RecordBatch]:
        pf = pq.ParquetFile(split.path)
        groups = list(range(pf.metadata.num_row_groups))
        if split.end >= 0:
            groups = groups[split.start : split.end]
        first_row = (
            sum(pf.metadata.row_group(g).num_rows for g in range(groups[0])) if groups else 0
        )
        top_field = self.source.text_field.split(".")[0]
        if top_field not in pf.schema_arrow.names:
            raise KeyError(f"column {top_field!r} not in Parquet schema {pf.schema_arrow.names}")
        yield from record_batches_to_rows(
            pf.iter_batches(row_groups=groups, batch_size=1024), self, out, first_row
        )
