"""JSON Lines: plain files are cut into byte ranges; ``.gz`` and ``.zst`` are read whole."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import BinaryIO

import orjson
import pyarrow as pa

from data_pipeline import storage
from data_pipeline.readers.base import RowBuffer, Split, SplitReader
from data_pipeline.readers.fields import map_record
from data_pipeline.storage import FileInfo

CHUNK = 1 << 20


def _decompressed(path: str, raw: BinaryIO) -> BinaryIO:
    """A decompressing reader over ``raw`` (the caller closes ``raw``)."""
    if path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    import zstandard

    return zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)


def _compressed(path: str) -> bool:
    return path.endswith((".gz", ".zst"))


class JsonlReader(SplitReader):
    """One JSON object per line; blank lines are skipped and not counted as records."""

    format = "jsonl"

    def plan(self, file: FileInfo, name: str, target_bytes: int) -> list[Split]:
        if _compressed(file.path):
            return super().plan(file, name, target_bytes)
        return self.byte_ranges(file, name, target_bytes)

    def read(self, split: Split, out: RowBuffer) -> Iterator[pa.RecordBatch]:
        if _compressed(split.path):
            with storage.open(split.path, "rb") as raw, _decompressed(split.path, raw) as stream:
                yield from self._lines(io.BufferedReader(stream, CHUNK), out, 0, None, True)
            return
        with storage.open(split.path, "rb") as f:
            start = split.start
            if start > 0:
                # Hadoop convention: a range that starts mid-line skips to the next line; the
                # previous range reads the line that crosses its end.
                f.seek(start - 1)
                start += len(f.readline())
            end = None if split.end < 0 else split.end
            yield from self._lines(f, out, start, end, split.start == 0)

    def _read_line(self, f: BinaryIO) -> tuple[bytes, int, bool]:
        """Next line (without newline), bytes consumed, and whether it was over the limit."""
        limit = self.options.max_record_bytes
        line = f.readline(limit + 1)
        consumed = len(line)
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # skip the rest of an oversized line without holding it in memory
                rest = f.readline(CHUNK)
                consumed += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            return line[:limit], consumed, True
        return line.rstrip(b"\r\n"), consumed, False

    def _lines(
        self, f: BinaryIO, out: RowBuffer, offset: int, end: int | None, count_lines: bool
    ) -> Iterator[pa.RecordBatch]:
        line_no = 0
        while end is None or offset < end:
            line, consumed, oversized = self._read_line(f)
            if consumed == 0:
                break
            line_no += 1
            location = f"line {line_no}" if count_lines else f"byte {offset}"
            ordinal = offset
            offset += consumed
            if oversized:
                out.bad(
                    location,
                    ordinal,
                    "too_large",
                    f"record over max_record_bytes={self.options.max_record_bytes:,}",
                    line[:1024],
                )
            elif line.strip():
                self._record(line, location, ordinal, out)
            if out.full():
                yield out.flush()

    def _record(self, line: bytes, location: str, ordinal: int, out: RowBuffer) -> None:
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError as err:
            out.bad(location, ordinal, "invalid_utf8", f"invalid UTF-8 at byte {err.start}", line)
            return
        try:
            record = orjson.loads(decoded)
        except orjson.JSONDecodeError as err:
            out.bad(location, ordinal, "broken_json", f"JSON error: {err}", decoded)
            return
        if not isinstance(record, dict):
            out.bad(
                location,
                ordinal,
                "not_an_object",
                f"expected a JSON object, got {type(record).__name__}",
                decoded,
            )
            return
        text, url, metadata = map_record(record, self.source)
        self.check_text(out, location, ordinal, text, url, metadata, decoded)
