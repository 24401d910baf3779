"""What a storage path is and which file system serves it: local paths and URIs alike.

``scheme``/``is_remote``/``join``/``parent``/``basename`` work on a local path, ``file://...``
or an object-store / HDFS URI without touching it; ``filesystem(path)`` gives the fsspec file
system (one instance per scheme, endpoint and credentials in the environment). An
S3-compatible endpoint is read from ``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL`` or
``S3_ENDPOINT_URL`` (first set wins; ``endpoint_url``). ``storage`` builds its file operations
on these and re-exports them.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT_URL")


class StorageError(OSError):
    """A storage operation failed; the message names the URI and the cause."""


@dataclass(frozen=True)
class FileInfo:
    """A listed file: its full path or URI, size in bytes and a change token (mtime or ETag)."""

    path: str
    size: int
    version: str = ""


def scheme(path: str) -> str:
    """The URI scheme of ``path`` ('' for a plain local path)."""
    return urlsplit(path).scheme.lower() if "://" in path else ""


def is_remote(path: str) -> bool:
    """True for object-store and HDFS URIs; False for local paths and ``file://``."""
    return scheme(path) not in ("", "file")


def local_path(path: str) -> str:
    """A local path without its ``file://`` prefix."""
    return path[len("file://") :] if path.startswith("file://") else path


def absolute(path: str) -> str:
    """Local paths made absolute; URIs unchanged."""
    return path if is_remote(path) else os.path.abspath(local_path(path))


def join(base: str, *parts: str) -> str:
    """``base/part/...`` for a URI or a local path."""
    if not is_remote(base):
        return os.path.join(local_path(base), *parts)
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts if p)])


def parent(path: str) -> str:
    """The folder holding ``path``."""
    if not is_remote(path):
        return os.path.dirname(local_path(path))
    return path.rstrip("/").rsplit("/", 1)[0]


def basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/")) if is_remote(path) else os.path.basename(path)


def local_cache(*parts: str) -> str:
    """A folder on this machine for things derived from installed packages (not artifacts):
    ``$LADDER_CACHE_DIR`` or ``~/.cache/ladder``."""
    root = os.environ.get("LADDER_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "ladder"
    )
    return os.path.join(root, *parts)


def endpoint_url() -> str | None:
    """The S3-compatible endpoint from the environment, if any."""
    for name in ENDPOINT_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    return None


def filesystem(path: str) -> tuple[Any, str]:
    """The fsspec file system for ``path`` and the path as that file system names it."""
    import fsspec

    proto = scheme(path) or "file"
    options: dict[str, Any] = {}
    if proto in ("s3", "s3a"):
        proto = "s3"
        options["use_listings_cache"] = False
        if endpoint_url():
            options["client_kwargs"] = {"endpoint_url": endpoint_url()}
    # one instance per scheme, endpoint and credentials in the environment
    key = (proto, hashlib.sha256(repr(sorted(options.items()) + _credentials()).encode()).digest())
    if key not in _FILESYSTEMS:
        try:
            _FILESYSTEMS[key] = fsspec.filesystem(proto, skip_instance_cache=True, **options)
        except (ImportError, ValueError) as err:
            raise StorageError(f"{path}: no file system for scheme {proto!r}: {err}") from err
    fs = _FILESYSTEMS[key]
    return fs, fs._strip_protocol(path)


_FILESYSTEMS: dict[tuple, Any] = {}
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_CLIENT_SECRET",
)


def _credentials() -> list[tuple[str, str]]:
    return [(name, os.environ.get(name, "")) for name in CREDENTIAL_VARIABLES]


def _uri(path: str, like: str) -> str:
    """Turn a path as a file system returns it back into a URI with ``like``'s scheme."""
    if not is_remote(like):
        return path
    prefix = like.split("://", 1)[0]
    return f"{prefix}://{path.lstrip('/')}"


def _hidden(path: str) -> bool:
    return basename(path).startswith((".", "_"))


def _version(info: dict) -> str:
    for key in ("ETag", "etag", "mtime", "LastModified", "last_modified", "created"):
        if info.get(key) is not None:
            return str(info[key])
    return ""
