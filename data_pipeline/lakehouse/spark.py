"""Spark session factory: local by default, a cluster by URL, Delta Lake always on.

One session per process is reused. Under ``spark-submit`` the session that already exists is
taken as it is (the cluster's settings win).

Object storage: ``s3://`` and ``s3a://`` paths both go to Hadoop's S3A file system (jars from
``infra/fetch_jars.sh``). An S3-compatible endpoint comes from the environment, first set of
``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``, ``S3_ENDPOINT_URL`` (the AWS SDKs' order, then
the name mosaicml-streaming reads); with one set, requests are path-style and an ``http://``
endpoint turns TLS off. Credentials are never put into the Spark conf: S3A takes them from its
provider chain (environment variables, profile, instance role), on the driver and on every
executor, which on a cluster means the workers' environment or instance profile.
"""

from __future__ import annotations

import glob
import logging
import os
import time
from collections.abc import Mapping
from urllib.parse import urlparse

from pyspark.sql import DataFrame, SparkSession

from data_pipeline.lakehouse.config import SparkSettings
from data_pipeline.lakehouse.storage import ENDPOINT_VARIABLES

log = logging.getLogger(__name__)

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"

S3A = "org.apache.hadoop.fs.s3a.S3AFileSystem"
LOOPBACK = ("127.0.0.1", "localhost")

_session: SparkSession | None = None
last_start_seconds: float | None = None


def delta_maven_coordinates() -> list[str]:
    """Maven coordinates of the Delta jars matching the installed delta-spark package."""
    from delta.pip_utils import configure_spark_with_delta_pip

    builder = configure_spark_with_delta_pip(SparkSession.builder)
    return builder._options.get("spark.jars.packages", "").split(",")


def s3_endpoint(env: Mapping[str, str] | None = None) -> str | None:
    """The S3 endpoint URL from the environment (first set of ``ENDPOINT_VARIABLES``), or None."""
    env = os.environ if env is None else env
    return next((env[name] for name in ENDPOINT_VARIABLES if env.get(name)), None)


def s3a_conf(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Spark settings for ``s3://`` and ``s3a://`` paths; credentials are never among them."""
    env = os.environ if env is None else env
    conf = {"spark.hadoop.fs.s3.impl": S3A, "spark.hadoop.fs.s3a.impl": S3A}
    endpoint = s3_endpoint(env)
    if endpoint:
        conf["spark.hadoop.fs.s3a.endpoint"] = endpoint
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
        if endpoint.startswith("http://"):
            conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = "false"
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        conf["spark.hadoop.fs.s3a.endpoint.region"] = region
    return conf


def _on_loopback(master: str) -> bool:
    return master.startswith("local") or urlparse(master).hostname in LOOPBACK


def _jar_list(jars_dir: str) -> str:
    jars = sorted(glob.glob(os.path.join(jars_dir, "*.jar")))
    if not jars:
        raise FileNotFoundError(
            f"Spark jars folder {jars_dir!r} holds no .jar files; "
            f"run infra/fetch_jars.sh {jars_dir}"
        )
    return ",".join(jars)


def build_session(settings: SparkSettings) -> SparkSession:
    """Create (or return the active) Spark session with Delta configured."""
    global _session, last_start_seconds
    active = SparkSession.getActiveSession()
    if active is not None:
        _session = active
        return active
    settings = settings.with_env()
    started = time.perf_counter()
    python = os.environ.get("PYSPARK_PYTHON") or _current_python()
    os.environ.setdefault("PYSPARK_PYTHON", python)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", python)
    if _on_loopback(settings.master):  # local mode, or a cluster on this machine only
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    log_config = os.path.join(os.path.dirname(__file__), "log4j2.properties")
    builder = (
        SparkSession.builder.master(settings.master)
        .appName(settings.app_name)
        .config("spark.driver.memory", settings.driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.ui.enabled", str(settings.ui).lower())
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.extensions", DELTA_EXTENSION)
        .config("spark.sql.catalog.spark_catalog", DELTA_CATALOG)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.databricks.delta.properties.defaults.checkpointInterval", "50")
        .config("spark.sql.sources.parallelPartitionDiscovery.parallelism", "2")
        .config("spark.python.worker.reuse", "true")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile=file:{log_config}")
    )
    if settings.jars_dir:
        builder = builder.config("spark.jars", _jar_list(settings.jars_dir))
    else:
        builder = builder.config("spark.jars.packages", ",".join(delta_maven_coordinates()))
        if settings.ivy_dir:
            builder = builder.config("spark.jars.ivy", settings.ivy_dir)
    for key, value in {**s3a_conf(), **settings.conf}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(settings.log_level)
    last_start_seconds = time.perf_counter() - started
    log.info(
        "Spark %s started in %.1fs (master %s)",
        session.version,
        last_start_seconds,
        settings.master,
    )
    _session = session
    return session


def get_spark(settings: SparkSettings | None = None) -> SparkSession:
    """Return this process's Spark session, creating it from ``settings`` on first use."""
    if _session is not None and _session_alive(_session):
        return _session
    return build_session(settings or SparkSettings())


def stop_spark() -> None:
    """Stop the session of this process, if any."""
    global _session
    if _session is not None:
        _session.stop()
        _session = None


def _session_alive(session: SparkSession) -> bool:
    try:
        return not session.sparkContext._jsc.sc().isStopped()
    except Exception:
        return False


def _current_python() -> str:
    import sys

    return sys.executable


def spread(df: DataFrame, tasks_per_core: int = 3) -> DataFrame:
    """``df`` over at least ``tasks_per_core`` partitions per core of the cluster.

    A stage whose input arrives in fewer partitions than cores (one big file, a table of a few
    files) leaves cores idle; its CPU-heavy step runs on the result of this round-robin
    repartition instead (a shuffle of the input, cheap beside the work it spreads).
    """
    target = tasks_per_core * df.sparkSession.sparkContext.defaultParallelism
    if df.rdd.getNumPartitions() >= target:
        return df
    return df.repartition(target)
