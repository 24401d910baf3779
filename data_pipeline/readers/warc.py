"""WARC and WET archives: HTML responses become text through trafilatura; WET is text already."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from warcio.archiveiterator import ArchiveIterator

from data_pipeline.lakehouse import storage
from data_pipeline.readers.base import RowBuffer, Split, SplitReader

HTML_TYPES = ("text/html", "application/xhtml+xml")


def html_to_text(html: bytes | str) -> str | None:
    """Main text of an HTML page (trafilatura, no comments, tables kept)."""
    import trafilatura

    return trafilatura.extract(
        html, include_comments=False, include_tables=True, favor_precision=False, deduplicate=False
    )


class WarcReader(SplitReader):
    """``response`` records with HTML, and ``conversion`` (WET) records with plain text."""

    format = "warc"

    def read(self, split: Split, out: RowBuffer) -> Iterator[pa.RecordBatch]:
        with storage.open(split.path, "rb") as stream:
            for index, record in enumerate(ArchiveIterator(stream)):
                kind = record.rec_type
                if kind not in ("response", "conversion", "resource"):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                location = f"record {index}"
                payload = record.content_stream().read(self.options.max_record_bytes + 1)
                if len(payload) > self.options.max_record_bytes:
                    out.bad(
                        location,
                        index,
                        "too_large",
                        "payload over max_record_bytes",
                        payload[:1024],
                    )
                    continue
                metadata = {"warc_record_id": record.rec_headers.get_header("WARC-Record-ID") or ""}
                date = record.rec_headers.get_header("WARC-Date")
                if date:
                    metadata["warc_date"] = date
                if self.source.language:
                    metadata["lang_hint"] = self.source.language
                if kind == "conversion":
                    self._text(out, location, index, payload, url, metadata)
                else:
                    self._html(out, record, location, index, payload, url, metadata)
                if out.full():
                    yield out.flush()

    def _text(self, out, location, index, payload, url, metadata) -> None:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as err:
            out.bad(location, index, "invalid_utf8", f"invalid UTF-8 at byte {err.start}", payload)
            return
        self.check_text(out, location, index, text, url, metadata)

    def _html(self, out, record, location, index, payload, url, metadata) -> None:
        http = record.http_headers
        content_type = (http.get_header("Content-Type") if http else None) or ""
        if record.rec_type == "response" and http is not None:
            status = http.get_statuscode()
            if status and not status.startswith("2"):
                out.bad(location, index, "http_error", f"HTTP status {status}", None)
                return
        if content_type and not content_type.lower().startswith((*HTML_TYPES, "text/plain")):
            out.bad(
                location,
                index,
                "unsupported_content_type",
                f"content type {content_type!r} is not HTML or text",
                None,
            )
            return
        if content_type.lower().startswith("text/plain"):
            self._text(out, location, index, payload, url, metadata)
            return
        text = html_to_text(payload)
        if not text:
            out.bad(
                location,
                index,
                "no_extractable_text",
                "trafilatura found no main text in the HTML",
                payload[:1024],
            )
            return
        self.check_text(out, location, index, text, url, metadata)
