"""Benchmark corpora for dedup, built from real text in installed packages (no downloads).

- ``accuracy_corpus``: real documents (Wikipedia en/fr/es, ParlSpeech, news articles) plus
  near-duplicates planted at known Jaccard levels by word edits, insertions and block moves
  (some of them chained), exact copies, and health tweets, which carry natural duplicates
  (retweets, one headline posted several times).
- ``scaled_corpus``: n documents of 2-8 real sentences each (drawn from the same texts) with
  5% planted near-duplicates and 2% exact copies, written as Parquet files of 5,000 rows;
  fast enough to make 1M documents.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from data_pipeline.dedup.normalize import NormalizeConfig
from data_pipeline.dedup.shingles import ShingleConfig, batch_shingle_hashes
from data_pipeline.samples import PARL, csv_in_zip, wiki_records

SHINGLES, NORM = ShingleConfig(), NormalizeConfig()
LEVELS = (0.70, 0.75, 0.78, 0.80, 0.82, 0.85, 0.90, 0.95)
KINDS = ("edit", "insert", "move")


@lru_cache(maxsize=1)
def real_texts() -> dict[str, list[str]]:
    """Real documents by source name."""
    out = {f"wiki_{lang}": [r["text"] for r in wiki_records(lang)] for lang in ("en", "fr", "es")}
    out["parliament"] = [r["text"] for rel in PARL.values() for r in csv_in_zip(rel)]
    out["news"] = [r["text"] for r in csv_in_zip("en/NewsArticles.zip")]
    out["tweets"] = [r["text"] for r in csv_in_zip("en/healthtweets.zip")]
    return {k: [t for t in v if t and t.strip()] for k, v in out.items()}


def shingle_set(text: str) -> set[int]:
    """The set of hashed word 5-gram shingles of ``text`` (as the dedup stage sees them)."""
    _, hashes, _ = batch_shingle_hashes(pa.array([text], pa.large_string()), SHINGLES, NORM)
    return set(hashes.tolist())


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _step(words: list[str], kind: str, rng: np.random.Generator, vocab: list[str]) -> None:
    if kind == "edit":
        words[rng.integers(len(words))] = vocab[rng.integers(len(vocab))]
    elif kind == "insert":
        words.insert(int(rng.integers(len(words) + 1)), vocab[rng.integers(len(vocab))])
    else:  # move a block of 3-10 words elsewhere
        size = int(rng.integers(3, 11))
        start = int(rng.integers(max(1, len(words) - size)))
        block = words[start : start + size]
        del words[start : start + size]
        at = int(rng.integers(len(words) + 1))
        words[at:at] = block


def plant(text: str, kind: str, target: float, rng: np.random.Generator, vocab: list[str]):
    """A variant of ``text`` whose exact Jaccard with it just reaches ``target`` or below;
    returns (variant, its Jaccard similarity)."""
    original, words = shingle_set(text), text.split()
    variant, sim = text, 1.0
    while True:
        trial = list(words)
        _step(trial, kind, rng, vocab)
        trial_text = " ".join(trial)
        trial_sim = jaccard(original, shingle_set(trial_text))
        if trial_sim < target - 0.02:  # overshoot: keep the last variant at or above target
            return (variant, sim) if sim < 1.0 else (trial_text, trial_sim)
        words, variant, sim = trial, trial_text, trial_sim
        if sim <= target:
            return variant, sim


def accuracy_corpus(seed: int = 0, docs: int = 12_000, planted: int = 2_400, tweets: int = 8_000):
    """(rows, planted facts). Rows: doc_id, text, source. Facts: (variant id, original id,
    kind, target level, measured Jaccard)."""
    rng = np.random.default_rng(seed)
    pool = real_texts()
    base = []
    for name in ("wiki_en", "wiki_fr", "wiki_es", "parliament", "news"):
        base += [(name, t) for t in pool[name] if len(t.split()) >= 40]
    pick = rng.choice(len(base), size=min(docs, len(base)), replace=False)
    rows = [(f"d{i:06d}", base[j][1], base[j][0]) for i, j in enumerate(pick)]
    vocab = [w for _, t in base[:3000] for w in t.split()]
    facts = []
    for k in range(planted):
        orig = rows[int(rng.integers(len(rows)))] if k % 6 else rows[-1]  # every 6th: chain
        if k % 10 == 9:  # a copy, re-cased (equal after normalisation, bar case-folding quirks)
            copy = orig[1].upper()
            rows.append((f"p{k:06d}", copy, "mirror"))
            sim = jaccard(shingle_set(orig[1]), shingle_set(copy))
            facts.append((rows[-1][0], orig[0], "copy", 1.0, sim))
            continue
        kind, level = KINDS[k % 3], LEVELS[int(rng.integers(len(LEVELS)))]
        text, sim = plant(orig[1], kind, level, rng, vocab)
        rows.append((f"p{k:06d}", text, "mirror"))
        facts.append((rows[-1][0], orig[0], kind, level, sim))
    tw = pool["tweets"]
    for i, j in enumerate(rng.choice(len(tw), size=min(tweets, len(tw)), replace=False)):
        rows.append((f"t{i:06d}", tw[j], "tweets"))
    return rows, facts


@lru_cache(maxsize=1)
def sentences() -> list[str]:
    """Sentences of every real text (at least 4 words each)."""
    out = []
    for texts in real_texts().values():
        for t in texts:
            out += [s for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 4]
    return out


def scaled_corpus(n: int, folder: Path, seed: int = 0, per_file: int = 5_000) -> list[Path]:
    """Write n documents as Parquet files under ``folder`` (skipped when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "_READY"
    if done.exists():
        return sorted(folder.glob("*.parquet"))
    rng = np.random.default_rng(seed)
    sents = np.array(sentences(), dtype=object)
    vocab = [w for s in sents[:20000] for w in s.split()]
    for f, start in enumerate(range(0, n, per_file)):
        m = min(per_file, n - start)
        lengths = rng.integers(2, 9, size=m)
        picks = rng.integers(len(sents), size=int(lengths.sum()))
        bounds = np.concatenate(([0], np.cumsum(lengths)))
        texts = [" ".join(sents[picks[bounds[i] : bounds[i + 1]]]) for i in range(m)]
        for i in range(m):
            roll = rng.random()
            if roll < 0.02 and i:  # exact copy of an earlier document
                texts[i] = texts[int(rng.integers(i))]
            elif roll < 0.07 and i:  # near copy: a few word edits
                words = texts[int(rng.integers(i))].split()
                for _ in range(max(1, len(words) // 40)):
                    words[int(rng.integers(len(words)))] = vocab[int(rng.integers(len(vocab)))]
                texts[i] = " ".join(words)
        ids = [f"s{start + i:08d}" for i in range(m)]
        table = pa.table({"doc_id": ids, "text": texts, "source": ["synthetic"] * m})
        pq.write_table(table, folder / f"part-{f:05d}.parquet", row_group_size=per_file)
    done.write_text(f"{n} documents, seed {seed}\n")
    return sorted(folder.glob("*.parquet"))
