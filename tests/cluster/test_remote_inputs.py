"""Readers and the storage layer against the real S3 server: the same rows as from a local disk,
and bad remote input (missing bucket or prefix, wrong credentials, a truncated object) named by
its URI."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.config import SourceConfig
from data_pipeline.readers import get_reader, plan_splits
from data_pipeline.readers.base import BAD, DOC, END, ReadOptions
from flows import cluster
from tests.corpus import jsonl_bytes, texts

pytestmark = pytest.mark.cluster

OPTIONS = ReadOptions(max_doc_chars=100_000, max_record_bytes=1 << 20)


@pytest.fixture
def s3(local_cluster, monkeypatch):
    """This process talks to the cluster's store with the cluster's credentials."""
    for key, value in cluster.env(local_cluster).items():
        monkeypatch.setenv(key, value)
    return f"s3://{local_cluster.bucket}/inputs"


def rows_of(source: dict, split_bytes: int) -> list[dict]:
    cfg = SourceConfig(licence="CC0-1.0", **source)
    out = []
    for split in plan_splits(cfg, OPTIONS, split_bytes):
        for batch in get_reader(cfg, OPTIONS).batches(split):
            out.extend(pa.Table.from_batches([batch]).to_pylist())
    return out


def comparable(rows: list[dict]) -> list[tuple]:
    keep = ("kind", "location", "ordinal", "text", "name", "records", "reason")
    return sorted(tuple(str(r[k]) for k in keep) for r in rows)


def test_remote_files_read_exactly_like_local_ones(s3, tmp_path):
    records = texts(50)
    pq.write_table(
        pa.table({"text": [r["text"] for r in records]}), tmp_path / "a.parquet", row_group_size=6
    )
    (tmp_path / "b.jsonl").write_bytes(jsonl_bytes(records))
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes(records[:20])))
    storage.upload_tree(str(tmp_path), s3)
    for name, fmt, split_bytes in (
        ("a.parquet", "parquet", 9000),
        ("b.jsonl", "jsonl", 7000),
        ("c.jsonl.gz", "jsonl", 7000),
    ):
        local = rows_of({"name": "x", "path": str(tmp_path / name), "format": fmt}, split_bytes)
        remote = rows_of({"name": "x", "path": storage.join(s3, name), "format": fmt}, split_bytes)
        assert comparable(remote) == comparable(local), name
        assert sum(r["kind"] == DOC for r in remote) == (20 if name.endswith("gz") else 50)
        assert {r["file"] for r in remote} == {storage.join(s3, name)}
    listed = storage.list_files(storage.join(s3, "*.jsonl*"))
    assert [storage.basename(f.path) for f in listed] == ["b.jsonl", "c.jsonl.gz"]
    assert all(f.size > 0 and f.version for f in listed)


def test_a_truncated_object_ends_its_split_with_an_error_naming_the_uri(s3):
    data = gzip.compress(jsonl_bytes(texts(40)))
    uri = storage.join(s3, "cut.jsonl.gz")
    storage.write_bytes(uri, data[: len(data) * 6 // 10])
    rows = rows_of({"name": "x", "path": uri, "format": "jsonl"}, 1 << 20)
    end = next(r for r in rows if r["kind"] == END)
    assert end["error"] and end["file"] == uri and end["reason"] == "partly_read"
    lost = [r for r in rows if r["kind"] == BAD]
    assert [(r["reason"], r["file"]) for r in lost] == [("truncated_file", uri)]
    assert 0 < sum(r["kind"] == DOC for r in rows) < 40  # the complete records before the cut


def test_missing_bucket_prefix_and_wrong_credentials_are_named(s3, monkeypatch):
    storage.write_text(storage.join(s3, "b.jsonl"), '{"text": "x"}\n')
    assert storage.list_files(storage.join(s3, "nothing-here", "*.jsonl")) == []
    with pytest.raises(storage.StorageError, match="bucket 'no-such-bucket' does not exist"):
        storage.list_files("s3://no-such-bucket/landing/*.jsonl")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(storage.StorageError, match=f"cannot list {s3}/"):
        storage.list_files(storage.join(s3, "*.jsonl"))
    with pytest.raises(OSError, match=r"b\.jsonl"):
        storage.read_bytes(storage.join(s3, "b.jsonl"))
