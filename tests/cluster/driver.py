"""The Spark driver of the cluster tests: ``python driver.py OUT BUCKET`` (one Spark
application for all of them, as the start of one costs most of their time here).

The master URL, the store's endpoint and its key come from the environment, as for a user
(``ladder platform cluster env``). Each step writes ``OUT/<step>.json`` when done:

- ``roundtrip``: write a Delta table to ``s3a://BUCKET/roundtrip/table``, read it back through
  ``s3://`` and report which worker read each partition; then the error cases (missing bucket,
  missing prefix, wrong credentials for reading and writing, a truncated object).
- ``kill``: the same job twice (``clean``, then ``disturbed``) with slow map tasks that drop a
  marker file ``RUN-PARTITION-ATTEMPT-WORKER`` into ``OUT/markers`` when they start. The
  disturbed run waits for ``OUT/markers/go`` (the test kills a worker during it); both tables'
  rows are reported.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import boto3
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from data_pipeline.lakehouse.config import SparkSettings
from data_pipeline.lakehouse.spark import get_spark

WAIT_FOR_EXECUTORS = {
    "spark.scheduler.minRegisteredResourcesRatio": "1.0",
    "spark.scheduler.maxRegisteredResourcesWaitingTime": "120s",
    "spark.executor.memory": "1g",
}


def _worker() -> str:
    """The worker whose executor runs this task: its folder is in the working directory."""
    match = re.search(r"(worker-\d+)", os.getcwd())
    return match.group(1) if match else f"not-a-worker:{os.getcwd()}"


def _rows(df: DataFrame) -> list[list]:
    return sorted([list(r) for r in df.collect()])


PHASES: dict[str, float] = {}


def _timed(name: str, action):
    began = time.perf_counter()
    try:
        return action()
    finally:
        PHASES[name] = round(time.perf_counter() - began, 2)


def _error(name: str, action) -> str:
    """The message of the error ``action`` raises (timed as phase ``name``)."""
    try:
        _timed(name, action)
    except Exception as error:  # the message is what the test checks
        return str(error)[:3000]
    return "NO ERROR"


def roundtrip(spark: SparkSession, bucket: str) -> dict:
    uri = f"s3a://{bucket}/roundtrip/table"
    data = spark.range(0, 20000, numPartitions=4).selectExpr(
        "id", "sha2(cast(id as string), 256) AS text", "id % 13 AS k"
    )
    _timed("write", lambda: data.write.format("delta").mode("overwrite").save(uri))
    back = spark.read.format("delta").load(uri.replace("s3a://", "s3://"))

    def where(rows):
        yield _worker(), sum(1 for _ in rows)

    readers: dict[str, int] = {}
    for worker, n in _timed("read", back.rdd.mapPartitions(where).collect):
        readers[worker] = readers.get(worker, 0) + n
    digest = back.agg(F.count("*"), F.sum("id"), F.sum(F.crc32("text"))).first()
    history = _timed("history", spark.sql(f"DESCRIBE HISTORY delta.`{uri}`").toJSON().collect)
    result = {
        "uri": uri,
        "readers": readers,
        "digest": list(digest),
        "expected": [20000, sum(range(20000))],
        "history": history,
        "spark_conf": spark.sparkContext.getConf().getAll(),
    }
    result["errors"] = errors(spark, bucket, uri)
    result["phases"] = PHASES
    return result


def errors(spark: SparkSession, bucket: str, uri: str) -> dict:
    """The messages of each bad-remote case, and what the refused write left behind."""
    s3 = boto3.client("s3")
    locked = f"{bucket}-locked"
    s3.create_bucket(Bucket=locked)
    # Another key for that bucket only (S3A per-bucket settings): the store refuses it.
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    hadoop.set(f"fs.s3a.bucket.{locked}.access.key", "AKIAWRONGWRONGWRONG0")
    hadoop.set(f"fs.s3a.bucket.{locked}.secret.key", "wrong-secret-for-the-test")
    small = spark.range(10)
    read = spark.read.format("delta")
    out = {
        "missing_bucket": _error(
            "missing_bucket", lambda: read.load(f"s3a://{bucket}-no-such-bucket/t").count()
        ),
        "missing_prefix": _error(
            "missing_prefix", lambda: read.load(f"s3a://{bucket}/no/such/prefix").count()
        ),
        "wrong_credentials_read": _error(
            "wrong_credentials_read", lambda: read.load(f"s3a://{locked}/t").count()
        ),
        "wrong_credentials_write": _error(
            "wrong_credentials_write",
            lambda: small.write.format("delta").save(f"s3a://{locked}/written"),
        ),
    }
    listed = s3.list_objects_v2(Bucket=locked, Prefix="written")
    out["written_after_refusal"] = [o["Key"] for o in listed.get("Contents", [])]
    prefix = uri.split("/", 3)[3]
    part = next(
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
        if o["Key"].endswith(".parquet")
    )
    body = s3.get_object(Bucket=bucket, Key=part)["Body"].read()
    s3.put_object(Bucket=bucket, Key=part, Body=body[: len(body) // 3])
    out["truncated_object"] = f"s3a://{bucket}/{part}"
    out["truncated"] = _error(
        "truncated", lambda: read.load(uri).agg(F.sum(F.crc32("text"))).first()
    )
    return out


def _slow_map(run: str, markers: str):
    def run_partition(batches):
        from pyspark import TaskContext

        ctx = TaskContext.get()
        name = f"{run}-{ctx.partitionId()}-{ctx.attemptNumber()}-{_worker()}"
        Path(markers, name).touch()
        time.sleep(2.0)
        for batch in batches:
            batch["v"] = batch["id"].map(lambda i: f"{i * 7919 % 10007:05d}")
            yield batch

    return run_partition


def kill(spark: SparkSession, bucket: str, markers: str) -> dict:
    tables = {}
    for run in ("clean", "disturbed"):
        while run == "disturbed" and not Path(markers, "go").exists():
            time.sleep(0.1)
        uri = f"s3a://{bucket}/kill/{run}"
        mapped = spark.range(0, 40000, numPartitions=8).mapInPandas(
            _slow_map(run, markers), "id long, v string"
        )
        grouped = mapped.groupBy((F.col("id") % 97).alias("k")).agg(
            F.count("*").alias("n"), F.sum("id").alias("ids"), F.sum(F.crc32("v")).alias("crc")
        )
        grouped.write.format("delta").mode("overwrite").save(uri)
        tables[run] = _rows(spark.read.format("delta").load(uri))
        Path(markers, f"done-{run}").touch()
    return {"tables": tables}


def main() -> None:
    out, bucket = Path(sys.argv[1]), sys.argv[2]
    markers = out / "markers"
    markers.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    spark = get_spark(
        SparkSettings(
            master=os.environ["LADDER_SPARK_MASTER"],
            driver_memory="1g",
            shuffle_partitions=4,
            conf=WAIT_FOR_EXECUTORS,
        )
    )
    seconds = {"session": time.perf_counter() - started}
    for name, step in (("roundtrip", roundtrip), ("kill", kill)):
        began = time.perf_counter()
        result = step(spark, bucket, *([str(markers)] if name == "kill" else []))
        seconds[name] = time.perf_counter() - began
        result["seconds"] = seconds
        (out / f"{name}.json").write_text(json.dumps(result, default=str))
    spark.stop()


if __name__ == "__main__":
    main()
