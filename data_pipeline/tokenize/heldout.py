"""A deterministic held-out split of documents per source, for evaluation (domain perplexity).

Each document gets ``u = SHA-256(salt, doc_id)`` read as a number in [0, 1). A source holds out
the documents with ``u < fraction``; a source so small that this would give fewer than
``min_docs`` documents holds out its ``min(min_docs, max_share * n)`` documents of smallest
``u`` instead. The same documents are held out whatever the cluster, the partitioning or the
run, and a document never moves between train and held-out when others are added or removed
(for sources above the small-source size).
"""

from __future__ import annotations

import math

from pydantic import Field
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from data_pipeline.lakehouse.config import StrictModel


class HeldoutConfig(StrictModel):
    """Held-out split. Defaults: 1% of each source, at least 20 documents, at most 20% of one."""

    fraction: float = Field(default=0.01, ge=0, lt=1)
    min_docs: int = Field(default=20, ge=0)
    max_share: float = Field(default=0.2, ge=0, le=1)
    salt: str = "heldout-v1"


def unit_hash(salt: str, column: str = "doc_id") -> Column:
    """SHA-256 of ``salt`` + NUL + the column, first 13 hex digits as a number in [0, 1)."""
    digest = F.sha2(F.concat(F.lit(salt + "\u0000"), F.col(column)), 256)
    return F.conv(F.substring(digest, 1, 13), 16, 10).cast("double") / float(16**13)


Limit = tuple[float, bool]  # (threshold, inclusive)


def thresholds(
    docs: DataFrame, counts: dict[str, int], below: dict[str, int], cfg: HeldoutConfig
) -> tuple[dict[str, Limit], dict[str, int]]:
    """Per source, the held-out rule and the number of documents it holds out.

    ``counts``: documents per source; ``below``: documents with ``u < fraction`` per source.
    ``docs`` needs ``source`` and ``u``; only the small sources' ``u`` values are collected.
    """
    limits: dict[str, Limit] = {}
    held: dict[str, int] = {}
    small: dict[str, int] = {}
    for source, n in counts.items():
        wanted = min(cfg.min_docs, math.floor(n * cfg.max_share))
        if n * cfg.fraction >= wanted:
            limits[source], held[source] = (cfg.fraction, False), below.get(source, 0)
        elif wanted == 0:
            limits[source], held[source] = (-1.0, False), 0
        else:
            small[source] = wanted
    if small:
        rows = (
            docs.filter(F.col("source").isin(list(small)))
            .groupBy("source")
            .agg(F.sort_array(F.collect_list("u")).alias("us"))
            .collect()
        )
        for row in rows:
            k = small[row["source"]]
            limits[row["source"]] = (float(row["us"][k - 1]), True)
            held[row["source"]] = sum(1 for u in row["us"] if u <= row["us"][k - 1])
    return limits, held


def is_heldout(limits: dict[str, Limit]) -> Column:
    """The held-out flag of each row (``source`` and ``u`` columns) under ``limits``."""
    cases = None
    for source, (limit, inclusive) in sorted(limits.items()):
        test = (F.col("u") <= limit) if inclusive else (F.col("u") < limit)
        cases = (
            F.when(F.col("source") == source, test)
            if cases is None
            else cases.when(F.col("source") == source, test)
        )
    return F.lit(False) if cases is None else cases.otherwise(F.lit(False))
