"""The local S3-compatible object store: s3proxy over a folder, on 127.0.0.1.

s3proxy (Apache-2.0, Maven Central ``org.gaul:s3proxy``, fetched into ``infra/tools`` by
``infra/fetch_jars.sh``) serves the S3 API from a plain folder (``filesystem-nio2`` backend).
Requests are signed (AWS v2 or v4) and checked against one access key generated per store, so
wrong credentials are refused as on a real bucket. The port is ephemeral: Jetty picks it and
the log says which.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from flows.processes import spawn, stop_group, wait_for_log

S3PROXY_VERSION = "4.1.0"
REGION = "us-east-1"
_READY = r"ServerConnector@\w+\{[^}]*\}\{127\.0\.0\.1:(\d+)\}"


@dataclass
class Credentials:
    """One access key of the store (kept in a 0600 file, never in logs or configs)."""

    access_key: str
    secret_key: str

    @classmethod
    def generate(cls) -> Credentials:
        return cls("ladder" + secrets.token_hex(6), secrets.token_urlsafe(30))


def s3proxy_jar(project_dir: Path) -> Path:
    """The s3proxy jar: ``LADDER_S3PROXY_JAR`` or ``infra/tools/`` of the project."""
    name = f"s3proxy-{S3PROXY_VERSION}-jar-with-dependencies.jar"
    jar = Path(os.environ.get("LADDER_S3PROXY_JAR") or project_dir / "infra" / "tools" / name)
    jar = jar.resolve()
    if not jar.is_file():
        raise FileNotFoundError(f"{jar} is missing: run `make jars` (infra/fetch_jars.sh)")
    return jar


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def start(
    project_dir: Path, state: Path, creds: Credentials, timeout_s: float = 120.0
) -> tuple[subprocess.Popen, str]:
    """Start s3proxy with its data under ``state/s3``; return the process and endpoint URL."""
    data = state / "s3"
    data.mkdir(parents=True, exist_ok=True)
    props = state / "s3proxy.properties"
    write_private(
        props,
        "s3proxy.endpoint=http://127.0.0.1:0\n"
        "s3proxy.authorization=aws-v2-or-v4\n"
        f"s3proxy.identity={creds.access_key}\n"
        f"s3proxy.credential={creds.secret_key}\n"
        "jclouds.provider=filesystem-nio2\n"
        f"jclouds.filesystem.basedir={data}\n"
        "jclouds.identity=local\njclouds.credential=local\n",
    )
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else "java"
    args = [java, "-Xmx512m", "-jar", str(s3proxy_jar(project_dir))]
    log = state / "s3proxy.log"
    proc = spawn([*args, "--properties", str(props)], dict(os.environ), log, state)
    try:
        port = wait_for_log(log, _READY, proc, "s3proxy", timeout_s).group(1)
        endpoint = f"http://127.0.0.1:{port}"
        with contextlib.suppress(urllib.error.HTTPError):  # 403 when anonymous: it answers
            urllib.request.urlopen(endpoint, timeout=10)
    except BaseException:
        stop_group(proc.pid)
        raise
    return proc, endpoint


def client(endpoint: str, creds: Credentials):
    """A boto3 S3 client for the store."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        region_name=REGION,
    )


def create_bucket(endpoint: str, creds: Credentials, name: str) -> None:
    """Create bucket ``name`` (no error if this store already has it)."""
    s3 = client(endpoint, creds)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=name)
