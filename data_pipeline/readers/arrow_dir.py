"""Hugging Face ``save_to_disk`` folders: Arrow IPC stream files (``data-*.arrow``)."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator

import pyarrow as pa

from data_pipeline.readers.base import RowBuffer, Split, SplitReader, expand_paths
from data_pipeline.readers.parquet import record_batches_to_rows


def arrow_files(pattern: str) -> list[str]:
    """The ``.arrow`` files of one or more dataset folders (a glob may name several)."""
    folders = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
    files: list[str] = []
    for folder in folders:
        if os.path.isdir(folder):
            files.extend(p for p in expand_paths(folder) if p.endswith(".arrow"))
        elif os.path.isfile(folder):
            files.append(folder)
    return files


def _open(path: str) -> pa.RecordBatchReader:
    source = pa.memory_map(path)
    try:
        return pa.ipc.open_stream(source)
    except pa.ArrowInvalid:
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
