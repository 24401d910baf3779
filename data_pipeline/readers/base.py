"""Common plumbing of the readers: splits, raw rows and their Arrow batches.

A reader turns one ``Split`` (a file, or a byte range or row-group range of one) into rows of
three kinds:

- ``doc``: a readable record (text, url, metadata);
- ``bad``: a record that could not be read, with a snake_case ``reason`` and the error;
- ``end``: one per split, last, with the number of records the reader saw and, when the file
  broke part way (a truncated archive), the error: the stage then quarantines that split's docs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pyarrow as pa

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.config import SourceConfig
from data_pipeline.lakehouse.storage import FileInfo

DOC, BAD, END = "doc", "bad", "end"
#: ``end`` reason of a split whose good part was read and whose broken rest was quarantined.
PARTLY_READ = "partly_read"


class PartlyRead(Exception):
    """Raised by a reader after it quarantined the unreadable rest of a split (the records it
    read before stay good); the split ends with reason ``partly_read`` and this error."""


RAW_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("location", pa.string()),
        ("ordinal", pa.int64()),
        ("text", pa.string()),
        ("url", pa.string()),
        ("metadata", pa.map_(pa.string(), pa.string())),
        ("reason", pa.string()),
        ("error", pa.string()),
        ("raw", pa.string()),
        ("split_id", pa.string()),
        ("records", pa.int64()),
        ("name", pa.string()),
    ]
)

RAW_PREVIEW_CHARS = 1024


@dataclass(frozen=True)
class Split:
    """A unit of reading work: a whole file, or a [start, end) byte range of one.

    ``path`` is the file's full path or URI (provenance); ``name`` its path relative to the
    source's folder, which is what document ids use, so that moving a corpus from a local
    folder to a bucket keeps every id.
    """

    source: str
    path: str
    format: str
    start: int = 0
    end: int = -1
    size: int = 0
    name: str = ""

    @property
    def split_id(self) -> str:
        return f"{self.path}[{self.start}:{self.end}]"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ReadOptions:
    """Limits that apply while reading (see ``IngestConfig``)."""

    max_doc_chars: int
    max_record_bytes: int


class RowBuffer:
    """Collects raw rows column-wise and emits Arrow record batches of ``RAW_SCHEMA``."""

    def __init__(self, split: Split, batch_rows: int = 2048):
        self.split = split
        self.batch_rows = batch_rows
        self.columns: dict[str, list] = {f.name: [] for f in RAW_SCHEMA}
        self.records = 0

    def _add(self, **values) -> None:
        for name, column in self.columns.items():
            column.append(values.get(name))

    def doc(
        self,
        location: str,
        ordinal: int,
        text: str,
        url: str | None,
        metadata: dict[str, str] | None,
    ) -> None:
        self.records += 1
        self._add(
            kind=DOC,
            source=self.split.source,
            file=self.split.path,
            location=location,
            ordinal=ordinal,
            text=text,
            url=url,
            metadata=list((metadata or {}).items()),
            split_id=self.split.split_id,
            name=self.split.name,
        )

    def bad(
        self,
        location: str,
        ordinal: int,
        reason: str,
        error: str,
        raw: str | bytes | None = None,
        counts_as_record: bool = True,
    ) -> None:
        if counts_as_record:
            self.records += 1
        if isinstance(raw, bytes):
            raw = raw[: RAW_PREVIEW_CHARS * 4].decode("utf-8", errors="replace")
        self._add(
            kind=BAD,
            source=self.split.source,
            file=self.split.path,
            location=location,
            ordinal=ordinal,
            reason=reason,
            error=error,
            raw=None if raw is None else raw[:RAW_PREVIEW_CHARS],
            split_id=self.split.split_id,
        )

    def end(self, error: str | None = None, reason: str | None = None) -> None:
        self._add(
            kind=END,
            source=self.split.source,
            file=self.split.path,
            location="split",
            ordinal=-1,
            reason=reason,
            error=error,
            split_id=self.split.split_id,
            records=self.records,
        )

    def full(self) -> bool:
        return len(self.columns["kind"]) >= self.batch_rows

    def flush(self) -> pa.RecordBatch | None:
        if not self.columns["kind"]:
            return None
        batch = pa.RecordBatch.from_pydict(self.columns, schema=RAW_SCHEMA)
        self.columns = {f.name: [] for f in RAW_SCHEMA}
        return batch


class SplitReader:
    """Base of all readers: ``plan`` cuts files into splits, ``read`` fills a RowBuffer."""

    format: str = ""

    def __init__(self, source: SourceConfig, options: ReadOptions):
        self.source = source
        self.options = options

    def plan(self, file: FileInfo, name: str, target_bytes: int) -> list[Split]:
        """Splits of one listed file; from listing metadata only (the driver opens no file)."""
        return [Split(self.source.name, file.path, self.format, 0, -1, file.size, name)]

    def byte_ranges(self, file: FileInfo, name: str, target_bytes: int) -> list[Split]:
        """``[start, end)`` byte ranges of about ``target_bytes`` covering the file."""
        if file.size <= target_bytes:
            return [Split(self.source.name, file.path, self.format, 0, -1, file.size, name)]
        return [
            Split(
                self.source.name,
                file.path,
                self.format,
                start,
                min(start + target_bytes, file.size),
                min(target_bytes, file.size - start),
                name,
            )
            for start in range(0, file.size, target_bytes)
        ]

    def read(self, split: Split, out: RowBuffer) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def check_text(
        self, out: RowBuffer, location: str, ordinal: int, text, url, metadata, raw=None
    ) -> None:
        """Route one extracted record: a doc, or a bad row for empty, wrong-type or giant text."""
        if text is None:
            out.bad(
                location,
                ordinal,
                "missing_text_field",
                f"no field {self.source.text_field!r} in record",
                raw,
            )
        elif not isinstance(text, str):
            out.bad(
                location,
                ordinal,
                "wrong_type",
                f"field {self.source.text_field!r} is {type(text).__name__}, not a string",
                raw,
            )
        elif not text.strip():
            out.bad(location, ordinal, "empty_text", "text is empty or whitespace only", raw)
        elif len(text) > self.options.max_doc_chars:
            out.bad(
                location,
                ordinal,
                "too_large",
                f"text has {len(text):,} chars, over max_doc_chars={self.options.max_doc_chars:,}",
                text[:RAW_PREVIEW_CHARS],
            )
        else:
            out.doc(location, ordinal, text, url, metadata)

    def batches(self, split: Split) -> Iterator[pa.RecordBatch]:
        """Read ``split`` into Arrow batches; any unexpected error ends the split as broken."""
        out = RowBuffer(split)
        try:
            yield from self.read(split, out)
        except PartlyRead as err:
            out.end(error=str(err), reason=PARTLY_READ)
        except Exception as err:  # a broken file must never kill the job: record it
            out.end(error=f"{type(err).__name__}: {err}", reason=_file_reason(err))
        else:
            out.end()
        last = out.flush()
        if last is not None:
            yield last


def _file_reason(err: Exception) -> str:
    text = f"{type(err).__name__} {err}".lower()
    if isinstance(err, FileNotFoundError):
        return "missing_file"
    if isinstance(err, EOFError) or "truncat" in text or "end of" in text or "eof" in text:
        return "truncated_file"
    return "unreadable_file"


def relative_name(path: str, pattern: str) -> str:
    """``path`` relative to the folder a source's ``path`` names (its part before any glob)."""
    pattern = storage.local_path(pattern)
    path = storage.local_path(path)
    if path == pattern:
        return storage.basename(path)
    cut = min((pattern.index(c) for c in storage.GLOB_CHARS if c in pattern), default=None)
    base = pattern.rstrip("/") + "/" if cut is None else pattern[: pattern.rfind("/", 0, cut) + 1]
    return path[len(base) :] if path.startswith(base) else storage.basename(path)


def reader_files(source: SourceConfig) -> list[FileInfo]:
    """The files a source's ``path`` names, with sizes (an Arrow folder keeps its .arrow files)."""
    files = storage.list_files(source.path)
    if source.format != "arrow":
        return files
    if any(ch in source.path for ch in storage.GLOB_CHARS):  # a glob may name dataset folders
        files += storage.list_files(storage.join(source.path, "**"))
    return sorted({f.path: f for f in files if f.path.endswith(".arrow")}.values(), key=_path)


def _path(file: FileInfo) -> str:
    return file.path
