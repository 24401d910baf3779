"""Connected components of an edge DataFrame, fully distributed (large-star / small-star).

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014): alternate

- large-star: every node links its strictly larger neighbours to the smallest node of its
  closed neighbourhood;
- small-star: every node links itself and its smaller neighbours to the smallest of them;

until every edge points from a node to the root (the minimum) of its component. Each round is
a few shuffles of the current edge set; nothing is collected to the driver, and the lineage is
cut after every round with a checkpoint so query plans stay small.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

Checkpoint = Callable[[DataFrame], DataFrame]


def local_checkpoint(df: DataFrame) -> DataFrame:
    """Materialise ``df`` on the executors and cut its lineage (eager)."""
    return df.localCheckpoint(eager=True)


def _round(edges: DataFrame) -> DataFrame:
    """One large-star then one small-star step on edges oriented ``u > v``.

    Each neighbourhood minimum is a window over ``u`` (one exchange, no join), so a round is
    three exchanges: large-star, small-star, and the final de-duplication.
    """
    by_u = Window.partitionBy("u")
    both = edges.unionByName(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    large = (
        both.withColumn("m", F.least(F.col("u"), F.min("v").over(by_u)))
        .filter(F.col("v") > F.col("u"))
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
    )
    small = large.withColumn("m", F.min("v").over(by_u)).select(
        F.explode(
            F.array(
                F.struct(F.col("v").alias("u"), F.col("m").alias("v")),
                F.struct(F.col("u").alias("u"), F.col("m").alias("v")),
            )
        ).alias("e")
    )
    return small.select("e.u", "e.v").filter(F.col("u") != F.col("v")).distinct()


def _unsettled(edges: DataFrame) -> int:
    """Nodes that keep the edge set from being stars around component minima: a node with
    two edges to smaller nodes, or with edges both to a smaller and from a larger node."""
    both = edges.select("u", F.lit(1).alias("down")).unionByName(
        edges.select(F.col("v").alias("u"), F.lit(0).alias("down"))
    )
    per_node = both.groupBy("u").agg(
        F.sum("down").alias("down"), F.sum(1 - F.col("down")).alias("up")
    )
    return per_node.filter((F.col("down") > 1) | ((F.col("down") > 0) & (F.col("up") > 0))).count()


def connected_components(
    edges: DataFrame,
    src: str = "src",
    dst: str = "dst",
    max_iterations: int = 60,
    checkpoint: Checkpoint = local_checkpoint,
) -> tuple[DataFrame, int]:
    """Label every node that appears in ``edges`` with the minimum node of its component.

    Returns (DataFrame ``node, root`` with one row per node, number of rounds). Node ids must
    be orderable (longs are fastest). Raises when ``max_iterations`` rounds do not converge.
    """
    current = edges.select(F.col(src).alias("u"), F.col(dst).alias("v")).filter(
        F.col("u") != F.col("v")
    )
    current = current.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
    current = current.distinct()
    rounds = 0
    while _unsettled(current) > 0:
        if rounds >= max_iterations:
            raise RuntimeError(f"connected components did not converge in {max_iterations} rounds")
        current = checkpoint(_round(current))
        rounds += 1
    roots = current.select(F.col("v").alias("node"), F.col("v").alias("root")).distinct()
    labels = current.select(F.col("u").alias("node"), F.col("v").alias("root")).unionByName(roots)
    return labels, rounds
