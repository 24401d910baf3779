"""The storage layer on local paths and file:// URIs (tests/cluster/ runs it on an S3 server)."""

from __future__ import annotations

import gzip

import pytest

from data_pipeline.lakehouse import storage


def test_list_files_globs_folders_and_hides_dot_and_underscore_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.jsonl").write_text("1\n")
    (tmp_path / "a" / "y.jsonl.gz").write_bytes(gzip.compress(b"22\n"))
    (tmp_path / "a" / "_SUCCESS").write_text("")
    (tmp_path / "a" / ".hidden").write_text("")
    by_glob = storage.list_files(str(tmp_path / "a" / "*.jsonl*"))
    by_folder = storage.list_files(str(tmp_path / "a"))
    assert [f.path for f in by_glob] == [f.path for f in by_folder]
    assert [storage.basename(f.path) for f in by_glob] == ["x.jsonl", "y.jsonl.gz"]
    assert by_glob[0].size == 2 and by_glob[0].version
    assert storage.list_files(str(tmp_path / "missing" / "*.jsonl")) == []
    assert [f.path for f in storage.list_files("file://" + str(tmp_path / "a" / "x.jsonl"))] == [
        str(tmp_path / "a" / "x.jsonl")
    ]


def test_write_read_replace_remove_and_hash(tmp_path):
    target = storage.join(str(tmp_path), "deep", "folder", "f.txt")
    storage.write_text(target, "hello")
    assert storage.read_text(target) == "hello"
    assert storage.exists(target) and storage.is_file(target) and storage.size(target) == 5
    storage.replace_text(target, "bye")
    assert storage.read_text(target) == "bye"
    before = storage.hash_tree(str(tmp_path / "deep"))
    storage.write_text(storage.join(str(tmp_path), "deep", "g.txt"), "x")
    assert storage.hash_tree(str(tmp_path / "deep")) != before
    copy = tmp_path / "copy"
    storage.upload_tree(str(tmp_path / "deep"), str(copy))
    assert storage.hash_tree(str(copy)) == storage.hash_tree(str(tmp_path / "deep"))
    storage.remove_tree(str(tmp_path / "deep"))
    assert not storage.exists(target)


def test_uri_helpers():
    assert storage.is_remote("s3://b/k") and storage.is_remote("abfss://c@a.dfs.core.windows.net/x")
    assert not storage.is_remote("/tmp/x") and not storage.is_remote("file:///tmp/x")
    assert storage.join("s3://bucket/root/", "mds", "v1") == "s3://bucket/root/mds/v1"
    assert storage.parent("s3://bucket/root/x.json") == "s3://bucket/root"
    assert storage.basename("gs://b/p/q.parquet") == "q.parquet"
    assert storage.absolute("s3a://b/k") == "s3a://b/k"


def test_missing_local_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
        storage.read_bytes(str(tmp_path / "nope.txt"))
