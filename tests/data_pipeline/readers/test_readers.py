"""Readers on real files, without Spark: every format, every bad-input reason."""

from __future__ import annotations

import pyarrow as pa
import pytest

from data_pipeline.lakehouse.config import SourceConfig
from data_pipeline.readers import get_reader, plan_splits
from data_pipeline.readers.base import BAD, DOC, END, ReadOptions
from tests.corpus import write_all_formats, write_corrupted

OPTIONS = ReadOptions(max_doc_chars=5000, max_record_bytes=1 << 20)


def read_all(source: dict, split_bytes: int = 1 << 20, options: ReadOptions = OPTIONS) -> list:
    cfg = SourceConfig(**source)
    rows = []
    for split in plan_splits(cfg, options, split_bytes):
        for batch in get_reader(cfg, options).batches(split):
            rows.extend(pa.Table.from_batches([batch]).to_pylist())
    return rows


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    return write_all_formats(tmp_path_factory.mktemp("formats"))


@pytest.mark.parametrize("name", ["plain", "gz", "zst", "pq", "txt", "warc", "hf"])
def test_each_format_reads_three_documents(formats, name):
    source = next(s for s in formats if s["name"] == name)
    rows = read_all(source)
    docs = [r for r in rows if r["kind"] == DOC]
    ends = [r for r in rows if r["kind"] == END]
    assert len(docs) == 3, [r for r in rows if r["kind"] == BAD]
    assert all(len(d["text"]) > 100 for d in docs)
    assert sum(e["records"] for e in ends) == 3
    assert not any(e["error"] for e in ends)


def test_warc_html_is_turned_into_main_text(formats):
    rows = read_all(next(s for s in formats if s["name"] == "warc"))
    doc = next(r for r in rows if r["kind"] == DOC)
    assert doc["url"].startswith("https://en.wikipedia.org/wiki/")
    assert "Cookie policy" not in doc["text"] and "Home | About" not in doc["text"]


def test_field_mapping_fills_url_and_metadata(formats):
    rows = read_all(next(s for s in formats if s["name"] == "plain"))
    doc = next(r for r in rows if r["kind"] == DOC)
    assert doc["url"].startswith("https://en.wikipedia.org/wiki/")
    assert dict(doc["metadata"])["title"]


def test_byte_range_splits_read_every_line_exactly_once(tmp_path):
    from tests.corpus import jsonl_bytes, texts

    records = texts(40)
    (tmp_path / "big.jsonl").write_bytes(jsonl_bytes(records))
    source = {
        "name": "big",
        "path": str(tmp_path / "big.jsonl"),
        "format": "jsonl",
        "licence": "CC0",
    }
    for split_bytes in (4096, 5000, 7919, 100_000):
        rows = read_all(source, split_bytes=split_bytes)
        got = sorted(r["text"] for r in rows if r["kind"] == DOC)
        assert got == sorted(r["text"] for r in records), split_bytes


def test_every_bad_input_kind_has_its_reason(tmp_path):
    sources, expected = write_corrupted(tmp_path)
    reasons: dict[str, int] = {}
    good = 0
    for source in sources:
        for row in read_all(source):
            if row["kind"] == BAD or (row["kind"] == END and row["error"] and row["records"] == 0):
                reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
            elif row["kind"] == DOC:
                good += 1
    assert good == expected["good"]
    for reason, count in expected.items():
        if reason != "good":
            assert reasons.get(reason) == count, (reason, reasons)


def test_truncated_archive_ends_its_split_partly_read(tmp_path):
    sources, expected = write_corrupted(tmp_path)
    rows = read_all(next(s for s in sources if s["name"] == "truncated"))
    end = next(r for r in rows if r["kind"] == END)
    assert end["error"] and "truncated.jsonl.gz" in end["file"]
    assert end["reason"] == "partly_read"
    assert [r["reason"] for r in rows if r["kind"] == BAD] == ["truncated_file"]
    assert len([r for r in rows if r["kind"] == DOC]) == expected["good"] - 3


def test_bad_rows_name_file_and_line(tmp_path):
    sources, _ = write_corrupted(tmp_path)
    rows = read_all(next(s for s in sources if s["name"] == "mixed"))
    broken = next(r for r in rows if r.get("reason") == "broken_json")
    assert broken["file"].endswith("mixed.jsonl") and broken["location"] == "line 2"
    assert "unterminated" in broken["raw"]


def test_oversized_record_is_skipped_without_losing_the_next_line(tmp_path):
    from tests.corpus import texts

    good = texts(1)[0]
    huge = '{"text": "' + "y" * 5000 + '"}'
    import json

    (tmp_path / "f.jsonl").write_text(huge + "\n" + json.dumps(good) + "\n")
    options = ReadOptions(max_doc_chars=10_000, max_record_bytes=2048)
    rows = read_all(
        {"name": "f", "path": str(tmp_path / "f.jsonl"), "format": "jsonl", "licence": "CC0"},
        options=options,
    )
    assert [r["reason"] for r in rows if r["kind"] == BAD] == ["too_large"]
    assert [r["text"] for r in rows if r["kind"] == DOC] == [good["text"]]


def test_parquet_byte_range_splits_own_each_row_group_once(tmp_path):
    import pyarrow.parquet as pq

    from tests.corpus import texts

    records = [r["text"] for r in texts(60)]
    pq.write_table(pa.table({"text": records}), tmp_path / "rows.parquet", row_group_size=7)
    size = (tmp_path / "rows.parquet").stat().st_size
    source = {
        "name": "pq",
        "path": str(tmp_path / "rows.parquet"),
        "format": "parquet",
        "licence": "CC0-1.0",
    }
    cfg = SourceConfig(**source)
    splits = plan_splits(cfg, OPTIONS, size // 5)
    assert len(splits) >= 5 and all(s.name == "rows.parquet" for s in splits)
    rows = read_all(source, split_bytes=size // 5)
    docs = [r for r in rows if r["kind"] == DOC]
    assert [d["text"] for d in sorted(docs, key=lambda d: d["ordinal"])] == records
    assert sorted(d["ordinal"] for d in docs) == list(range(60))


def test_relative_names_do_not_depend_on_where_the_corpus_lives():
    from data_pipeline.readers.base import relative_name

    for root in ("/data/landing", "s3://bucket/landing", "file:///data/landing"):
        assert relative_name(f"{root}/pq/de.parquet", f"{root}/pq/*.parquet") == "de.parquet"
        assert relative_name(f"{root}/pq/a/b.json", f"{root}/pq") == "a/b.json"
        assert relative_name(f"{root}/wiki/en.jsonl.gz", f"{root}/wiki/en.jsonl.gz") == (
            "en.jsonl.gz"
        )
        assert relative_name(f"{root}/x/2024/p.jsonl", f"{root}/x/*/p.jsonl") == "2024/p.jsonl"


@pytest.mark.parametrize("suffix", ["gz", "zst"])
def test_a_truncated_stream_keeps_every_complete_record_before_the_break(tmp_path, suffix):
    from pathlib import Path

    from tests.corpus import readable_prefix, write_truncated_streams

    source = next(s for s in write_truncated_streams(tmp_path) if s["name"] == f"cut_{suffix}")
    prefix = readable_prefix(Path(source["path"]))
    complete = prefix.count(b"\n")  # the oracle: complete lines a decompressor can give
    assert 0 < complete < 400
    rows = read_all(source)
    docs = [r for r in rows if r["kind"] == DOC]
    assert len(docs) == complete
    assert [d["text"].split(":")[0] for d in docs] == [f"record {i}" for i in range(complete)]
    (tail,) = [r for r in rows if r["kind"] == BAD]
    assert tail["reason"] == "truncated_file" and tail["location"] == f"line {complete + 1}"
    assert tail["ordinal"] == len(prefix) - len(prefix.rsplit(b"\n", 1)[1])  # decompressed byte
    assert f"records through line {complete} were read" in tail["error"]
    assert "compressed stream ends at byte" in tail["error"]
    (end,) = [r for r in rows if r["kind"] == END]
    assert end["reason"] == "partly_read" and end["records"] == complete + 1


def test_a_corrupt_row_group_is_quarantined_by_index_and_the_others_read(tmp_path):
    from tests.corpus import write_corrupt_row_group

    rows = read_all(write_corrupt_row_group(tmp_path, groups=3, rows=100, bad=1))
    docs = [r for r in rows if r["kind"] == DOC]
    assert len(docs) == 200
    assert {int(d["text"].split(":")[0].split()[1]) // 100 for d in docs} == {0, 2}
    (lost,) = [r for r in rows if r["kind"] == BAD]
    assert lost["reason"] == "corrupt_row_group" and lost["location"] == "row group 1"
    assert lost["ordinal"] == 100 and "(100 rows)" in lost["error"]
    (end,) = [r for r in rows if r["kind"] == END]
    assert end["reason"] == "partly_read" and end["records"] == 201
