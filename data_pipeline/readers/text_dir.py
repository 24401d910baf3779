"""Folders of plain-text files: one file is one document, its path the provenance."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from data_pipeline.lakehouse import storage
from data_pipeline.readers.base import RowBuffer, Split, SplitReader


class TextFileReader(SplitReader):
    """Each file is one UTF-8 document (a BOM is removed)."""

    format = "text"

    def read(self, split: Split, out: RowBuffer) -> Iterator[pa.RecordBatch]:
        limit = self.options.max_record_bytes
        with storage.open(split.path, "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            out.bad("file", 0, "too_large", f"file over max_record_bytes={limit:,}", data[:1024])
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            out.bad("file", 0, "invalid_utf8", f"invalid UTF-8 at byte {err.start}", data)
            return
        metadata = {"lang_hint": self.source.language} if self.source.language else {}
        self.check_text(out, "file", 0, text, None, metadata)
        yield from ()
