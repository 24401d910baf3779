"""A small real corpus with planted duplicates whose expected clusters are known.

Wikipedia lead paragraphs (tests/corpus.py) plus: exact copies (one only after
normalisation), a near copy with a higher quality score, a chain A~B~C whose ends are below
the threshold, and a 'control' copy edited too much to be a duplicate.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql.types import DoubleType, StructField, StructType

from data_pipeline.lakehouse import schemas
from tests.corpus import texts

SCHEMA = StructType([*schemas.DOCUMENT_FIELDS, StructField("quality_score", DoubleType(), True)])
DAY = dt.datetime(2024, 1, 1)


def edit(text: str, positions: list[int], tag: str) -> str:
    """Replace the words at ``positions`` by made-up words (one word = n shingles changed)."""
    words = text.split()
    for k, pos in enumerate(positions):
        words[pos] = f"zq{tag}{k}x"
    return " ".join(words)


def row(doc_id: str, text: str, source: str = "wiki", days: int = 0, quality: float = 0.5):
    return (
        doc_id,
        text,
        source,
        "CC-BY-SA-4.0",
        f"https://example.org/{doc_id}",
        None,
        DAY + dt.timedelta(days=days),
        "test",
        quality,
    )


def spread(text: str, similarity: float, offset: int = 0) -> list[int]:
    """Word positions whose replacement brings word-5-gram Jaccard to about ``similarity``."""
    shingles = len(text.split()) - 4
    k = max(1, round(shingles * (1 - similarity) / (5 * (1 + similarity))))
    step = shingles // k
    return [offset + step // 2 + i * step for i in range(k)]


def planted(n_background: int = 30) -> tuple[list[tuple], list[set[str]]]:
    """(rows, expected clusters as sets of doc ids)."""
    docs = sorted((r["text"] for r in texts(n_background + 10)), key=len, reverse=True)
    base = docs[: n_background + 4]
    rows = [row(f"bg{i:03d}", t, days=i % 5) for i, t in enumerate(base)]
    first, second = spread(base[0], 0.86), spread(base[0], 0.86, offset=2)
    b = edit(base[0], first, "b")
    c = edit(b, second, "c")
    rows += [
        row("exact-copy", base[1], source="mirror", days=9),
        row("exact-norm", "  " + base[1].upper().replace(" ", "   ") + " ", source="mirror"),
        row("near-copy", edit(base[2], spread(base[2], 0.92), "n"), "mirror", 9, quality=0.9),
        row("chain-b", b, source="mirror", days=3),
        row("chain-c", c, source="mirror", days=4),
        row("control", edit(base[3], spread(base[3], 0.6), "k"), source="mirror"),
    ]
    expected = [
        {"bg001", "exact-copy", "exact-norm"},
        {"bg002", "near-copy"},
        {"bg000", "chain-b", "chain-c"},
    ]
    return rows, expected
