"""Decontamination and paragraph dedup: ladder's vectorised code versus single-process references.

Corpus: ``--docs`` documents (default 100,000) of 2-6 real sentences each (English Wikipedia
lead paragraphs and news articles from installed packages), with benchmark items planted into
``--planted`` of them (verbatim, re-cased, re-spaced, inside a paragraph, half an item) and a
6-word phrase of an item added to as many others (clean, must stay untouched). The index holds
every gauntlet task's evaluated items (conf/eval/gauntlet.yaml, task caps), 13-grams.

- ours: ``data_pipeline.decontam.match.scan_table`` (what each Spark task runs) on batches of
  1,000 documents, one process; ours and the reference alternate over 10 slices of the corpus;
- reference: the datatrove ``NGramsDecontFilter`` algorithm in plain Python (normalise, split,
  join every n-gram, look it up in a set), one process, the same normalisation and lengths.
  datatrove 0.10.1 itself cannot run here: its indexer loads tasks through lighteval's
  registry (Hugging Face hub) and both steps tokenise with nltk's punkt data
  (``nltk.download``), neither available offline.

Paragraph dedup: the same corpus with 40 boilerplate paragraphs spread over 10% of the
documents; ours = the dedup_paragraphs stage's Spark jobs on ``local[1]``; reference = Dolma's
approach (a Bloom filter over normalised paragraphs in stream order, a paragraph seen before is
removed), one process, the same minimum length. Both report characters removed.

    PYTHONPATH=. python bench/decontaminate.py --docs 100000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
import unicodedata

import numpy as np
import pyarrow as pa

from data_pipeline.decontam.config import DecontamConfig, IndexConfig
from data_pipeline.decontam.index import NgramIndex, build_index
from data_pipeline.decontam.match import CLEAN, scan_table
from evaluation.items import gauntlet_items
from flows.stage_inputs import REPO_GAUNTLET

KINDS = ("verbatim", "recased", "respaced", "inside", "half")
_PUNCT = {cp: " " for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp))[0] in "PS"}
_DIGITS = re.compile(r"\d+")


def py_words(text: str) -> list[str]:
    """The reference normaliser: NFKC, lower case, punctuation/symbols to spaces, digits to 0."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_PUNCT)
    return _DIGITS.sub("0", text).split()


def sentences() -> list[str]:
    from bench.dedup.corpus import real_texts

    texts = real_texts()
    out = []
    for name in ("wiki_en", "news"):
        for t in texts[name]:
            out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 4]
    return out


def make_corpus(n_docs: int, n_planted: int, items, seed: int = 1):
    rng = random.Random(seed)
    pool = sentences()
    docs = [" ".join(rng.choices(pool, k=rng.randint(2, 6))) for _ in range(n_docs)]
    long_items = [i for i in items if len(py_words(i.text)) >= 30]
    planted, phrased = {}, set()
    slots = rng.sample(range(n_docs), 2 * n_planted)
    for k, doc in enumerate(slots[:n_planted]):
        item, kind = rng.choice(long_items), KINDS[k % len(KINDS)]
        words = item.text.split()
        text = {
            "verbatim": item.text,
            "recased": item.text.upper(),
            "respaced": "  ".join(words[: len(words) // 2])
            + "\n"
            + " ".join(words[len(words) // 2 :]),
            "inside": item.text,
            "half": " ".join(words[: len(words) // 2]),
        }[kind]
        sep = " " if kind in ("inside", "half") else "\n\n"
        docs[doc] = f"{docs[doc]}{sep}{text}{sep}{rng.choice(pool)}"
        planted[doc] = (item.task, item.item_key, kind)
    for doc in slots[n_planted:]:
        docs[doc] = f"{docs[doc]} {' '.join(rng.choice(items).text.split()[:6])} and more."
        phrased.add(doc)
    return docs, planted, phrased


def run_ours(docs, offset: int, index, cfg) -> set[int]:
    flagged = set()
    for lo in range(0, len(docs), cfg.batch_docs):
        table = pa.table({"text": pa.array(docs[lo : lo + cfg.batch_docs], pa.large_string())})
        actions = scan_table(table, index, cfg).column("decontam_action").to_pylist()
        flagged.update(offset + lo + i for i, a in enumerate(actions) if a != CLEAN)
    return flagged


def reference_index(rows) -> dict[int, set[str]]:
    grams: dict[int, set[str]] = {}  # length -> n-gram strings
    for gram, length in zip(rows["ngram"].to_pylist(), rows["n_words"].to_pylist(), strict=True):
        grams.setdefault(length, set()).add(gram)
    return grams


def run_reference(docs, offset: int, grams: dict[int, set[str]]) -> set[int]:
    """datatrove's filter loop: normalise, split, join each n-gram, set lookup; first hit wins."""
    flagged = set()
    for d, text in enumerate(docs):
        words = py_words(text)
        for length, known in grams.items():
            if any(
                " ".join(words[i : i + length]) in known for i in range(len(words) - length + 1)
            ):
                flagged.add(offset + d)
                break
    return flagged


def interleaved(docs, index, grams, cfg, rounds: int = 10):
    """Both implementations over the same slices, alternating (a shared machine's load hits
    both alike); returns (flags, seconds) of ours and of the reference."""
    ours, ref, t_ours, t_ref = set(), set(), 0.0, 0.0
    step = -(-len(docs) // rounds)
    for lo in range(0, len(docs), step):
        part = docs[lo : lo + step]
        start = time.perf_counter()
        ours |= run_ours(part, lo, index, cfg)
        t_ours += time.perf_counter() - start
        start = time.perf_counter()
        ref |= run_reference(part, lo, grams)
        t_ref += time.perf_counter() - start
    return ours, t_ours, ref, t_ref


def score(flagged: set[int], planted: dict, phrased: set[int], n_docs: int) -> dict:
    full = [d for d, p in planted.items() if p[2] != "half"]
    half = [d for d, p in planted.items() if p[2] == "half"]
    return {
        "recall_full_items": sum(d in flagged for d in full) / max(1, len(full)),
        "recall_half_items": sum(d in flagged for d in half) / max(1, len(half)),
        "phrase_docs_flagged": sum(d in flagged for d in phrased),
        "other_docs_flagged": len(flagged - set(planted) - phrased),
        "docs": n_docs,
    }


def _speed(seconds: float, docs: int, chars: int) -> dict:
    return {
        "seconds": round(seconds, 2),
        "docs_per_s": round(docs / seconds),
        "mb_per_s": round(chars / seconds / 1e6, 2),
    }


def bench_decontam(args) -> tuple[dict, list[str]]:
    t0 = time.perf_counter()
    icfg = IndexConfig()
    items = gauntlet_items(str(REPO_GAUNTLET))
    t_items = time.perf_counter() - t0
    t0 = time.perf_counter()
    built = build_index(items, icfg)
    index = NgramIndex.from_rows(built.rows)
    t_index = time.perf_counter() - t0
    docs, planted, phrased = make_corpus(args.docs, args.planted, items)
    chars = sum(map(len, docs))
    cfg = DecontamConfig()
    run_ours(docs[:2000], 0, index, cfg)  # warm-up (bitmap, imports)
    ours, t_ours, ref, t_ref = interleaved(docs, index, reference_index(built.rows), cfg)
    out = {
        "items": len(items),
        "index_ngrams": built.rows.num_rows,
        "seconds_load_items": round(t_items, 1),
        "seconds_build_index": round(t_index, 2),
        "corpus_chars": chars,
        "ours": _speed(t_ours, len(docs), chars) | score(ours, planted, phrased, len(docs)),
        "reference": _speed(t_ref, len(docs), chars) | score(ref, planted, phrased, len(docs)),
    }
    out["speedup"] = round(t_ref / t_ours, 2)
    out["same_flags"] = ours == ref
    return out, docs


class Bloom:
    """A plain Bloom filter (k hashes from one BLAKE2b digest) for the Dolma-style reference."""

    def __init__(self, n: int, fpr: float):
        self.m = int(-n * np.log(fpr) / (np.log(2) ** 2)) + 8
        self.k = max(1, round(self.m / n * np.log(2)))
        self.bits = bytearray(self.m // 8 + 1)

    def add_seen(self, key: str) -> bool:
        """Add ``key``; True if it was (probably) present already."""
        d = hashlib.blake2b(key.encode(), digest_size=16).digest()
        a, b = int.from_bytes(d[:8], "little"), int.from_bytes(d[8:], "little") | 1
        seen = True
        for i in range(self.k):
            pos = (a + i * b) % self.m
            byte, bit = divmod(pos, 8)
            if not self.bits[byte] >> bit & 1:
                seen = False
                self.bits[byte] |= 1 << bit
        return seen


def boilerplate_corpus(docs: list[str], seed: int = 2) -> list[str]:
    rng = random.Random(seed)
    blocks = [
        f"Cookie notice {k}: this site stores small files on your device to remember settings "
        f"and measure visits; see section {k} of our privacy policy for details."
        for k in range(40)
    ]
    out = list(docs)
    for d in rng.sample(range(len(out)), len(out) // 10):
        out[d] = f"{out[d]}\n\n{rng.choice(blocks)}"
    return out


def run_dolma(docs: list[str], min_chars: int, fpr: float) -> tuple[int, float]:
    from data_pipeline.dedup.paragraphs import split

    start = time.perf_counter()
    bloom, removed = Bloom(4 * len(docs), fpr), 0
    for text in docs:
        pieces, _ = split(text, "paragraph")
        for piece in pieces:
            key = " ".join(py_words(piece))
            if len(key) >= min_chars and bloom.add_seen(key):
                removed += len(piece)
    return removed, time.perf_counter() - start


def run_spark_paragraphs(docs: list[str]) -> tuple[dict, float]:
    import datetime as dt

    from data_pipeline.dedup.paragraphs import ParagraphDedupConfig
    from data_pipeline.lakehouse import schemas
    from data_pipeline.lakehouse.config import SparkSettings
    from data_pipeline.lakehouse.spark import get_spark
    from data_pipeline.stages.dedup_paragraphs import annotate
    from data_pipeline.stages.edit_accounting import account

    spark = get_spark(SparkSettings(master="local[1]", driver_memory="3g", shuffle_partitions=4))
    now = dt.datetime(2024, 1, 1)
    rows = [(f"d{i:07d}", t, "bench", "x", "x", None, now, "bench") for i, t in enumerate(docs)]
    df = spark.createDataFrame(rows, schemas.DOCUMENTS).repartition(4).cache()
    df.count()
    start = time.perf_counter()
    annotated, persisted, _ = annotate(df, ParagraphDedupConfig())
    counts = account(annotated, "p", "p", "para_action", "para_reason", "p.").as_counts()
    elapsed = time.perf_counter() - start
    for frame in (*persisted, annotated, df):
        frame.unpersist()
    return counts, elapsed


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--planted", type=int, default=1000)
    p.add_argument("--fpr", type=float, default=1e-4, help="Bloom filter false-positive rate")
    p.add_argument("--skip-paragraphs", action="store_true")
    p.add_argument("--skip-decontam", action="store_true", help="paragraph dedup only")
    args = p.parse_args()
    if args.skip_decontam:
        docs = make_corpus(args.docs, 0, [], seed=1)[0]
    else:
        out, docs = bench_decontam(args)
        print(json.dumps(out, indent=1), flush=True)
    if args.skip_paragraphs:
        return
    corpus = boilerplate_corpus(docs)
    chars = sum(map(len, corpus))
    counts, t_ours = run_spark_paragraphs(corpus)
    removed_ref, t_ref = run_dolma(corpus, 40, args.fpr)
    ours_removed = counts["chars.input"] - counts["chars.kept"]
    para = {
        "corpus_chars": chars,
        "ours_spark_local1": _speed(t_ours, len(corpus), chars) | {"chars_removed": ours_removed},
        "dolma_bloom_python": _speed(t_ref, len(corpus), chars)
        | {"chars_removed": removed_ref, "fpr": args.fpr},
    }
    print(json.dumps(para, indent=1))


if __name__ == "__main__":
    main()
