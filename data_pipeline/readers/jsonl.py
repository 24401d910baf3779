"""JSON Lines: plain files are cut into byte ranges; ``.gz`` and ``.zst`` are read whole.

A compressed stream that ends before its end marker (a truncated download) keeps every complete
line decoded before the break; the rest is one quarantined ``truncated_file`` record naming the
line, the decompressed and compressed byte offsets and the error.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import IO, Protocol

import orjson
import pyarrow as pa

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.storage import FileInfo
from data_pipeline.readers.base import PartlyRead, RowBuffer, Split, SplitReader
from data_pipeline.readers.fields import map_record

CHUNK = 1 << 20


class TruncatedStream(EOFError):
    """The compressed input ended inside a gzip member or zstd frame."""


def _decompressor(path: str):
    if path.endswith(".gz"):
        return zlib.decompressobj(wbits=31)  # one gzip member
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj()


def _decoded(path: str, raw: IO[bytes]) -> Iterator[bytes]:
    """Decompressed chunks of ``raw`` (concatenated members/frames too), as far as they decode;
    ``TruncatedStream`` when the input ends mid-member (whatever decoded before is yielded)."""
    decoder, started = _decompressor(path), False
    while chunk := raw.read(CHUNK):
        while chunk:
            started = True
            yield decoder.decompress(chunk)
            if not decoder.eof:
                break
            chunk = decoder.unused_data  # a further member or frame follows
            decoder, started = _decompressor(path), False
            if not chunk:
                break
    if started and not decoder.eof:
        raise TruncatedStream(f"compressed stream ends at byte {raw.tell():,}, inside a member")


class _LineSource(Protocol):
    """What the line loop reads from: a binary file or ``_ChunkLines``."""

    def readline(self, limit: int = -1, /) -> bytes: ...


class _ChunkLines:
    """``readline`` over decoded chunks, counting the lines and bytes it has returned."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks, self.buffer, self.lines, self.consumed = chunks, bytearray(), 0, 0

    def readline(self, limit: int = -1, /) -> bytes:
        while b"\n" not in self.buffer and (limit < 0 or len(self.buffer) < limit):
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        cut = self.buffer.find(b"\n") + 1 or len(self.buffer)
        cut = cut if limit < 0 else min(cut, limit)
        line = bytes(self.buffer[:cut])
        del self.buffer[:cut]
        self.lines, self.consumed = self.lines + bool(line), self.consumed + len(line)
        return line


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
            with storage.open(split.path, "rb") as raw:
                lines = _ChunkLines(_decoded(split.path, raw))
                try:
                    yield from self._lines(lines, out, 0, None, True)
                except TruncatedStream as err:
                    message = (
                        f"{err}: records through line {lines.lines} were read; the rest, from "
                        f"line {lines.lines + 1} (decompressed byte {lines.consumed:,}), is lost"
                    )
                    out.bad(f"line {lines.lines + 1}", lines.consumed, "truncated_file", message)
                    raise PartlyRead(message) from err
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

    def _read_line(self, f: _LineSource) -> tuple[bytes, int, bool]:
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
        self, f: _LineSource, out: RowBuffer, offset: int, end: int | None, count_lines: bool
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
