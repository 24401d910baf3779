"""One storage layer for every file ladder reads or writes: local paths and URIs alike.

A path is a local path, ``file://...``, or an object-store / HDFS URI: ``s3://`` and ``s3a://``
(s3fs), ``gs://`` (gcsfs), ``abfss://`` (adlfs), ``hdfs://`` (pyarrow). Everything goes through
fsspec, so the same code runs on a laptop and on cluster workers that share no disk; local
paths take the plain ``open`` fast path.

Credentials are never passed in code or config: each backend uses its standard provider chain
(for S3: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles, instance roles). An
S3-compatible endpoint is read from ``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL`` or
``S3_ENDPOINT_URL`` (first set wins; ``endpoint_url``).
"""

from __future__ import annotations

import builtins
import contextlib
import fnmatch
import hashlib
import io
import os
import shutil
from collections.abc import Iterable
from typing import IO, Any

from data_pipeline.lakehouse.uris import (  # noqa: F401 - re-exported: storage.join etc.
    ENDPOINT_VARIABLES,
    FileInfo,
    StorageError,
    _hidden,
    _uri,
    _version,
    absolute,
    basename,
    endpoint_url,
    filesystem,
    is_remote,
    join,
    local_cache,
    local_path,
    parent,
    scheme,
)

GLOB_CHARS = "*?["
READ_BUFFER = 1 << 20


def list_files(pattern: str) -> list[FileInfo]:
    """Files named by a path, a glob or a folder (recursive), sorted, hidden ones left out.

    Listing metadata only (names, sizes, change tokens): no file is opened.
    """
    if not is_remote(pattern):
        return _list_local(local_path(pattern))
    fs, path = filesystem(pattern)
    try:
        if any(ch in path for ch in GLOB_CHARS):
            found = fs.glob(path, detail=True)
        elif fs.isdir(path):
            found = fs.find(path, detail=True)
        else:
            found = {path: fs.info(path)} if fs.exists(path) else {}
    except FileNotFoundError:
        found = {}
    except Exception as err:
        raise StorageError(f"cannot list {pattern}: {type(err).__name__}: {err}") from err
    files = [
        FileInfo(_uri(name, pattern), int(info.get("size") or 0), _version(info))
        for name, info in found.items()
        if info.get("type", "file") == "file"
    ]
    if not files:
        _check_bucket(fs, path, pattern)
    return sorted((f for f in files if not _hidden(f.path)), key=lambda f: f.path)


def _check_bucket(fs: Any, path: str, pattern: str) -> None:
    """An empty listing of an object store: say so when the bucket itself is missing."""
    bucket = path.split("/", 1)[0]
    try:
        fs.info(bucket)
    except FileNotFoundError as err:
        raise StorageError(f"cannot list {pattern}: bucket {bucket!r} does not exist") from err
    except Exception as err:
        raise StorageError(f"cannot list {pattern}: {type(err).__name__}: {err}") from err


def _list_local(pattern: str) -> list[FileInfo]:
    import glob

    if any(ch in pattern for ch in GLOB_CHARS):
        names = glob.glob(pattern, recursive=True)
    elif os.path.isdir(pattern):
        names = [os.path.join(root, n) for root, _, files in os.walk(pattern) for n in files]
    else:
        names = [pattern] if os.path.exists(pattern) else []
    out = []
    for name in names:
        if os.path.isfile(name) and not _hidden(name):
            stat = os.stat(name)
            out.append(FileInfo(name, stat.st_size, str(int(stat.st_mtime))))
    return sorted(out, key=lambda f: f.path)


def matches(path: str, pattern: str) -> bool:
    """Whether a listed path matches a glob (used by readers that filter folder listings)."""
    return fnmatch.fnmatch(basename(path), pattern)


def open(path: str, mode: str = "rb", **kwargs: Any) -> IO:
    """Open a file for reading or writing; URIs through fsspec, local paths directly.

    Writing makes missing parent folders of a local path.
    """
    if not is_remote(path):
        path = local_path(path)
        if any(m in mode for m in "wax"):
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        return builtins.open(path, mode, **kwargs)
    fs, fs_path = filesystem(path)
    try:
        handle = fs.open(fs_path, mode, **kwargs)
        # a standard buffered reader: readline(limit), peek, ... as local files have them
        return io.BufferedReader(handle, READ_BUFFER) if mode == "rb" else handle
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{path}: no such object or file") from err
    except Exception as err:
        raise StorageError(f"cannot open {path}: {type(err).__name__}: {err}") from err


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def read_text(path: str) -> str:
    return read_bytes(path).decode("utf-8")


def write_bytes(path: str, data: bytes) -> None:
    """Write a whole file (one PUT on an object store; visible all at once)."""
    if not is_remote(path):
        with open(path, "wb") as f:
            f.write(data)
        return
    fs, fs_path = filesystem(path)
    try:
        fs.pipe_file(fs_path, data)
    except Exception as err:
        raise StorageError(f"cannot write {path}: {type(err).__name__}: {err}") from err


def write_text(path: str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def replace_text(path: str, text: str) -> None:
    """Write ``path`` so that readers see the old or the new content, never a partial one."""
    if is_remote(path):
        write_text(path, text)  # an object PUT is atomic
        return
    path = local_path(path)
    staging = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}")
    write_text(staging, text)
    os.replace(staging, path)


def exists(path: str) -> bool:
    if not is_remote(path):
        return os.path.exists(local_path(path))
    fs, fs_path = filesystem(path)
    return bool(fs.exists(fs_path))


def is_file(path: str) -> bool:
    if not is_remote(path):
        return os.path.isfile(local_path(path))
    fs, fs_path = filesystem(path)
    return bool(fs.isfile(fs_path))


def size(path: str) -> int:
    if not is_remote(path):
        return os.path.getsize(local_path(path))
    fs, fs_path = filesystem(path)
    return int(fs.size(fs_path))


def makedirs(path: str) -> None:
    """Create a local folder; object stores have no folders, so nothing to do there."""
    if not is_remote(path):
        os.makedirs(local_path(path), exist_ok=True)


def remove_tree(path: str) -> None:
    """Delete a folder (or prefix) and everything under it; a missing one is fine."""
    if not is_remote(path):
        shutil.rmtree(local_path(path), ignore_errors=True)
        return
    fs, fs_path = filesystem(path)
    with contextlib.suppress(FileNotFoundError):
        fs.rm(fs_path, recursive=True)


def upload_tree(local: str, remote: str) -> None:
    """Copy a local folder's files under ``remote`` (a URI or another local folder)."""
    for root, _, names in os.walk(local):
        for name in names:
            source = os.path.join(root, name)
            target = join(remote, os.path.relpath(source, local).replace(os.sep, "/"))
            with builtins.open(source, "rb") as f:
                write_bytes(target, f.read())


def publish_tree(staging: str, target: str, last: tuple[str, ...] = ()) -> None:
    """Move a finished local folder to ``target``, replacing what was there.

    Locally an atomic rename. On an object store an upload, with the files named in ``last``
    (e.g. an index) uploaded after all others, so a reader that finds the index finds every
    file it names; the local staging folder is removed afterwards.
    """
    if not is_remote(target):
        target = local_path(target)
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        os.replace(staging, target)
        return
    names = sorted(
        os.path.relpath(os.path.join(root, n), staging)
        for root, _, files in os.walk(staging)
        for n in files
    )
    for name in sorted(names, key=lambda n: n in last):
        with builtins.open(os.path.join(staging, name), "rb") as f:
            write_bytes(join(target, name.replace(os.sep, "/")), f.read())
    shutil.rmtree(staging, ignore_errors=True)


def local_copy(path: str) -> str:
    """A local file with the content of ``path``: the path itself when local, else a copy in
    this machine's cache (keyed by URI and change token, so a replaced object is fetched anew).
    For libraries that only open local files (fastText, ...)."""
    if not is_remote(path):
        return local_path(path)
    listed = list_files(path)
    if not listed:
        raise FileNotFoundError(f"{path}: no such object")
    key = hashlib.sha256(f"{path}\0{listed[0].version}".encode()).hexdigest()[:24]
    target = local_cache("downloads", key, basename(path))
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        staging = f"{target}.{os.getpid()}.part"
        with builtins.open(staging, "wb") as f:
            f.write(read_bytes(path))
        os.replace(staging, target)
    return target


def download_tree(remote: str, local: str) -> None:
    """Copy the files under ``remote`` into the local folder ``local``."""
    prefix = remote.rstrip("/") + "/"
    for info in list_files(remote):
        relative = info.path[len(prefix) :] if info.path.startswith(prefix) else basename(info.path)
        target = os.path.join(local, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with builtins.open(target, "wb") as f:
            f.write(read_bytes(info.path))


def hash_tree(path: str, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, or of a folder's files (relative names and contents, sorted)."""
    digest = hashlib.sha256()
    if is_file(path):
        files: Iterable[tuple[str, str]] = [(basename(path), path)]
    else:
        prefix = path.rstrip("/").rstrip(os.sep)
        files = [
            (f.path[len(prefix) :].lstrip("/").lstrip(os.sep), f.path) for f in _all_files(path)
        ]
    for name, file in files:
        digest.update(name.encode())
        with open(file, "rb") as f:
            while block := f.read(chunk):
                digest.update(block)
    return digest.hexdigest()


def _all_files(folder: str) -> list[FileInfo]:
    """Every file under ``folder``, hidden ones included (for hashing)."""
    if not is_remote(folder):
        folder = local_path(folder)
        names = [os.path.join(r, n) for r, _, files in os.walk(folder) for n in files]
        return [FileInfo(n, os.path.getsize(n)) for n in sorted(names)]
    fs, fs_path = filesystem(folder)
    found = fs.find(fs_path, detail=True)
    return [FileInfo(_uri(n, folder), int(i.get("size") or 0)) for n, i in sorted(found.items())]
