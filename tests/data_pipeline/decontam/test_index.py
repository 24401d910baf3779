"""The item index: n-grams per item, short items whole, templates left out, digest."""

from __future__ import annotations

from dataclasses import dataclass

from data_pipeline.decontam.config import IndexConfig
from data_pipeline.decontam.index import NgramIndex, build_index


@dataclass
class Item:
    task: str
    item_key: str
    text: str


LONG = "the mitochondria is the powerhouse of the cell and produces most of its energy supply"


def test_long_items_give_every_13_gram_short_items_one_and_tiny_items_none():
    items = [
        Item("t", "/0", LONG),  # 15 words: 3 n-grams of 13
        Item("t", "/1", "water boils at one hundred degrees at sea level"),  # 9 words: 1
        Item("t", "/2", "yes or no"),  # too short
    ]
    built = build_index(items, IndexConfig())
    per_item = built.rows.group_by("item_key").aggregate([([], "count_all")]).to_pylist()
    assert {r["item_key"]: r["count_all"] for r in per_item} == {"/0": 3, "/1": 1}
    assert built.stats["t"] == {
        "items": 3, "indexed": 2, "too_short": 1, "ngrams": 4,
    }  # fmt: skip
    assert set(built.rows["n_words"].to_pylist()) == {13, 9}
    assert NgramIndex.from_rows(built.rows).lengths == (9, 13)


def test_ngrams_shared_by_many_items_are_template_text():
    shots = "question what is the capital of france answer paris question what is two plus two"
    items = [
        Item("t", f"/{i}", f"{shots} question item number {i} asks zq{chr(97 + i)} about x")
        for i in range(10)
    ]
    built = build_index(items, IndexConfig())
    ngrams = built.rows["ngram"].to_pylist()
    assert not any("capital of france" in g for g in ngrams)
    assert any("zqd" in g for g in ngrams)
    assert built.stats["t"]["template_ngrams"] > 0


def test_digest_follows_items_and_settings():
    items = [Item("t", "/0", LONG)]
    a = build_index(items, IndexConfig()).digest
    assert a == build_index(items, IndexConfig()).digest
    assert a != build_index([Item("t", "/0", LONG + " more")], IndexConfig()).digest
    assert a != build_index(items, IndexConfig(n=12)).digest


def test_probe_finds_exactly_the_indexed_pairs():
    import numpy as np

    built = build_index([Item("t", "/0", LONG)], IndexConfig())
    index = NgramIndex.from_rows(built.rows)
    h, c = index.hashes.copy(), index.checks.copy()
    assert index.maybe(h).all() and index.contains(h, c).all()
    assert not index.contains(h, c ^ np.uint64(1)).any()
    rng = np.random.default_rng(0)
    other = rng.integers(0, 2**63, 100_000, dtype=np.int64).view(np.uint64)
    assert index.maybe(other).mean() < 0.01
