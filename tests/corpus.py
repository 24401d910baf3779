"""Builders of small real input sets (Wikipedia text from an installed package) for tests.

``write_all_formats`` writes one good file per supported format; ``write_corrupted`` writes a
set in which every kind of bad input appears, and returns the reasons it should produce.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from data_pipeline.samples import wiki_records


def texts(n: int, lang: str = "en", offset: int = 0) -> list[dict]:
    records = [r for r in wiki_records(lang) if len(r["text"]) > 200]
    return records[offset : offset + n]


def jsonl_bytes(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def warc_bytes(pages: list[dict]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for page in pages:
        html = (
            f"<html><head><title>{page['title']}</title></head><body><nav>Home | About"
            f"</nav><article><h1>{page['title']}</h1><p>{page['text']}</p></article>"
            "<footer>Cookie policy</footer></body></html>"
        ).encode()
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        record = writer.create_warc_record(
            page["url"], "response", payload=io.BytesIO(html), http_headers=headers
        )
        writer.write_record(record)
    return buffer.getvalue()


def write_all_formats(root: Path) -> list[dict]:
    """One good input per format; returns source configs (3 documents each)."""
    root.mkdir(parents=True, exist_ok=True)
    recs = texts(18)
    (root / "plain.jsonl").write_bytes(jsonl_bytes(recs[0:3]))
    (root / "comp.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes(recs[3:6]), mtime=0))
    import zstandard

    (root / "comp.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(jsonl_bytes(recs[6:9]))
    )
    pq.write_table(pa.Table.from_pylist(recs[9:12]), root / "table.parquet")
    (root / "texts").mkdir(exist_ok=True)
    for i, rec in enumerate(recs[12:15]):
        (root / "texts" / f"doc{i}.txt").write_text(rec["text"], encoding="utf-8")
    (root / "crawl.warc.gz").write_bytes(warc_bytes(recs[15:18]))
    from datasets import Dataset

    Dataset.from_list(texts(3, "fr")).save_to_disk(str(root / "hf_dataset"))
    common = {"licence": "CC-BY-SA-4.0"}
    return [
        {
            "name": "plain",
            "path": str(root / "plain.jsonl"),
            "format": "jsonl",
            "url_field": "url",
            "metadata_fields": ["title"],
            **common,
        },
        {"name": "gz", "path": str(root / "*.jsonl.gz"), "format": "jsonl", **common},
        {"name": "zst", "path": str(root / "*.jsonl.zst"), "format": "jsonl", **common},
        {
            "name": "pq",
            "path": str(root / "table.parquet"),
            "format": "parquet",
            "url_field": "url",
            **common,
        },
        {"name": "txt", "path": str(root / "texts"), "format": "text", "language": "en", **common},
        {"name": "warc", "path": str(root / "crawl.warc.gz"), "format": "warc", **common},
        {
            "name": "hf",
            "path": str(root / "hf_dataset"),
            "format": "arrow",
            "url_field": "url",
            **common,
        },
    ]


def write_corrupted(root: Path, max_doc_chars: int = 5000) -> tuple[list[dict], dict]:
    """Every kind of bad input beside good records.

    Returns (sources, expected) where ``expected`` maps reason -> count and has 'good' -> count.
    """
    root.mkdir(parents=True, exist_ok=True)
    good = texts(8)
    lines = [
        json.dumps(good[0]).encode(),
        b'{"text": "unterminated',  # broken_json
        b'{"text": "caf\xe9 au lait"}',  # invalid_utf8
        b'{"title": "no text here"}',  # missing_text_field
        b'{"text": 42}',  # wrong_type
        b'{"text": "   "}',  # empty_text
        json.dumps({"text": "x " * max_doc_chars}).encode(),  # too_large
        b"[1, 2, 3]",  # not_an_object
        b"",  # blank: not a record
        json.dumps(good[1]).encode(),
    ]
    (root / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    full = gzip.compress(jsonl_bytes(good[2:7]), mtime=0)
    (root / "truncated.jsonl.gz").write_bytes(full[: len(full) * 2 // 3])  # truncated archive
    (root / "texts").mkdir(exist_ok=True)
    (root / "texts" / "ok.txt").write_text(good[7]["text"])
    (root / "texts" / "latin1.txt").write_bytes("Ça coûte très cher".encode("latin-1"))
    (root / "texts" / "empty.txt").write_bytes(b"")
    (root / "broken.parquet").write_bytes(b"PAR1 this is not really parquet")
    sources = [
        {
            "name": "mixed",
            "path": str(root / "mixed.jsonl"),
            "format": "jsonl",
            "licence": "CC-BY-SA-4.0",
        },
        {
            "name": "truncated",
            "path": str(root / "truncated.jsonl.gz"),
            "format": "jsonl",
            "licence": "CC-BY-SA-4.0",
        },
        {"name": "texts", "path": str(root / "texts"), "format": "text", "licence": "CC-BY-SA-4.0"},
        {
            "name": "badparquet",
            "path": str(root / "broken.parquet"),
            "format": "parquet",
            "licence": "CC-BY-SA-4.0",
        },
    ]
    expected = {
        "broken_json": 1,
        "invalid_utf8": 2,
        "missing_text_field": 1,
        "wrong_type": 1,
        "empty_text": 2,
        "too_large": 1,
        "not_an_object": 1,
        "unreadable_file": 1,
        "truncated_file": 1,  # the rest of the truncated archive, after its complete records
        "good": 3 + readable_prefix(root / "truncated.jsonl.gz").count(b"\n"),
    }
    return sources, expected


def readable_prefix(path: Path) -> bytes:
    """What a byte-at-a-time decompressor gets out of a truncated ``.gz``/``.zst`` file before it
    fails: the oracle for how many complete records a salvage must keep."""
    import zstandard

    out = bytearray()
    with open(path, "rb") as raw:
        stream = (
            gzip.GzipFile(fileobj=raw)
            if path.suffix == ".gz"
            else zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        )
        try:
            while byte := stream.read(1):
                out += byte
        except (EOFError, zstandard.ZstdError):
            pass
    return bytes(out)


def write_truncated_streams(root: Path, n: int = 400, keep: float = 0.6) -> list[dict]:
    """``cut.jsonl.gz`` and ``cut.jsonl.zst``: ``n`` distinct records (~700 characters of seeded
    random words each, so zstd's 128 KiB blocks end inside the file) compressed, then cut at
    ``keep`` of the compressed size (a download that stopped part way)."""
    import random

    import zstandard

    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(16)
    words = sorted({w for r in texts(40) for w in r["text"].split()})
    records = [
        {"text": f"record {i}: " + " ".join(rng.choice(words) for _ in range(100))}
        for i in range(n)
    ]
    data = jsonl_bytes(records)
    sources = []
    for suffix, packed in (
        (".gz", gzip.compress(data, mtime=0)),
        (".zst", zstandard.ZstdCompressor(level=3).compress(data)),
    ):
        path = root / f"cut.jsonl{suffix}"
        path.write_bytes(packed[: int(len(packed) * keep)])
        name = f"cut{suffix.replace('.', '_')}"
        sources.append({"name": name, "path": str(path), "format": "jsonl", "licence": "CC0"})
    return sources


def write_corrupt_row_group(root: Path, groups: int = 3, rows: int = 100, bad: int = 1) -> dict:
    """A Parquet file of ``groups`` row groups of ``rows`` rows whose row group ``bad`` has its
    first page header overwritten (unreadable), the others intact."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root.mkdir(parents=True, exist_ok=True)
    body = texts(40)
    table = pa.table({"text": [f"row {i}: " + body[i % 40]["text"] for i in range(groups * rows)]})
    path = root / "rowgroups.parquet"
    pq.write_table(table, path, row_group_size=rows)
    column = pq.ParquetFile(path).metadata.row_group(bad).column(0)
    start = column.data_page_offset
    if column.has_dictionary_page and column.dictionary_page_offset:
        start = min(start, column.dictionary_page_offset)
    data = bytearray(path.read_bytes())
    data[start : start + 24] = b"\xff" * 24
    path.write_bytes(bytes(data))
    return {"name": "rowgroups", "path": str(path), "format": "parquet", "licence": "CC0"}
