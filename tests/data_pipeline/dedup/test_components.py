"""Distributed connected components on real Spark against a plain union-find."""

from __future__ import annotations

import random

from data_pipeline.dedup.components import connected_components


def union_find_roots(edges: list[tuple[int, int]]) -> dict[int, int]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: find(node) for node in parent}


def test_chains_trees_and_cliques_match_union_find(spark):
    rng = random.Random(4)
    edges = [(i + 1, i) for i in range(60)]  # a long chain (worst case for label propagation)
    edges += [(100 + i, 100 + rng.randrange(i)) for i in range(1, 80)]  # a random tree
    edges += [(300 + a, 300 + b) for a in range(6) for b in range(6) if a != b]  # a clique
    edges += [(500 + rng.randrange(50), 500 + rng.randrange(50)) for _ in range(60)]
    edges += [(7, 7), (1000, 2000), (2000, 1000)]  # self loop, both directions
    df = spark.createDataFrame(edges, "src long, dst long")
    labels, rounds = connected_components(df)
    got = {r["node"]: r["root"] for r in labels.collect()}
    assert got == union_find_roots(edges)
    assert labels.count() == len(got)  # one row per node
    assert 0 < rounds < 20


def test_empty_graph(spark):
    labels, rounds = connected_components(spark.createDataFrame([], "src long, dst long"))
    assert labels.count() == 0 and rounds == 0
