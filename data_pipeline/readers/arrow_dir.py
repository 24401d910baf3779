"""Hugging Face ``save_to_disk`` folders: Arrow IPC stream files (``data-*.arrow``)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from data_pipeline.lakehouse import storage
from data_pipeline.readers.base import RowBuffer, Split, SplitReader
from data_pipeline.readers.parquet import record_batches_to_rows


def _open(path: str) -> pa.RecordBatchReader:
    if storage.is_remote(path):
        source = pa.BufferReader(storage.read_bytes(path))
    else:
        source = pa.memory_map(storage.local_path(path))
    try:
        return pa.ipc.open_stream(source)
    except pa.ArrowInvalid:
        source.seek(0)
        return pa.ipc.open_file(source)


class ArrowDirReader(SplitReader):
    """Rows of the Arrow files that ``datasets.Dataset.save_to_disk`` writes."""

    format = "arrow"

    def read(self, split: Split, out: RowBuffer) -> Iterator[pa.RecordBatch]:
        reader = _open(split.path)
        if isinstance(reader, pa.ipc.RecordBatchFileReader):
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            batches = iter(reader)
        yield from record_batches_to_rows(batches, self, out, 0)
