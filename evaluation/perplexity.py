"""Domain evaluation (learning): bits per byte on the held-out split, per source and language.

The held-out documents (``heldout_docs``, carved out at curation and never in training shards)
are read at a pinned Delta version. Groups are ``source`` and ``lang`` by default; the table's
``lang`` is null when no language-ID stage ran before tokenize, and then the language comes from
the document's metadata (``lang``, else the source's ``lang_hint``). Per group, the same documents
are taken every run (smallest SHA-256 of ``doc_id``), cut to ``max_doc_chars``. Bits per
byte = total negative log-likelihood in bits / total UTF-8 bytes; its standard error is the ratio
estimator's,
``sqrt(sum((nll_i - bpb * bytes_i)^2) / (n (n - 1))) / mean(bytes)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from data_pipeline.lakehouse.tables import Lakehouse, TableVersion
from evaluation.config import PerplexityConfig
from evaluation.engine import PackedScorer


@dataclass
class DomainDoc:
    group: str
    text: str


@dataclass
class DomainResult:
    """Bits per byte (lower is better) and token perplexity of one group of documents."""

    group: str
    bits_per_byte: float
    stderr: float
    token_perplexity: float
    docs: int
    bytes: int
    tokens: int


def group_name(values: dict[str, str | None]) -> str:
    """``source=wiki_en/lang=en`` style name of a group."""
    return "/".join(f"{k}={v if v is not None else 'none'}" for k, v in values.items())


def with_language(df: DataFrame, metadata_keys: list[str]) -> DataFrame:
    """``lang`` = the column where set, else the first of ``metadata[key]`` that is set."""
    candidates = [F.col("lang")] if "lang" in df.columns else []
    if "metadata" in df.columns:
        candidates += [F.col("metadata").getItem(key) for key in metadata_keys]
    if not candidates:
        return df
    lang = F.coalesce(*candidates, F.lit(None).cast("string"))
    return df.withColumn("lang", lang)


def sample_heldout(
    lakehouse: Lakehouse, cfg: PerplexityConfig, limit: int | None = None
) -> tuple[TableVersion, list[DomainDoc]]:
    """The pinned table version and up to ``limit or max_docs`` documents per group."""
    version = cfg.version if cfg.version is not None else lakehouse.latest_version(cfg.table)
    if version is None:
        raise FileNotFoundError(
            f"table {cfg.table!r} does not exist under {lakehouse.root}: run the tokenize "
            "stage (it carves out the held-out split) or disable perplexity"
        )
    df = with_language(lakehouse.read(cfg.table, version), cfg.lang_metadata)
    keys = [k for k in cfg.group_by if k in df.columns]
    per_group = min(limit or cfg.max_docs, cfg.max_docs)
    ranked = df.withColumn("_h", F.sha2(F.col("doc_id"), 256)).withColumn(
        "_r", F.row_number().over(Window.partitionBy(*keys).orderBy("_h"))
    )
    rows = (
        ranked.filter(F.col("_r") <= per_group)
        .select(*keys, F.substring("text", 1, cfg.max_doc_chars).alias("text"))
        .orderBy(*keys)
        .collect()
    )
    docs = [DomainDoc(group_name({k: r[k] for k in keys}), r["text"]) for r in rows if r["text"]]
    return TableVersion(cfg.table, version), docs


def ratio_stderr(nll_bits: list[float], n_bytes: list[int]) -> float:
    """Standard error of sum(nll) / sum(bytes) over documents (0 for a single document)."""
    n = len(nll_bits)
    if n < 2:
        return 0.0
    ratio = sum(nll_bits) / sum(n_bytes)
    resid = sum((a - ratio * b) ** 2 for a, b in zip(nll_bits, n_bytes, strict=True))
    return math.sqrt(resid / (n * (n - 1))) / (sum(n_bytes) / n)


def domain_perplexity(
    scorer: PackedScorer, docs: list[DomainDoc], window: int = 1024
) -> list[DomainResult]:
    """Bits per byte per group (groups in first-seen order)."""
    scored = scorer.rolling_logprob([d.text for d in docs], window=window)
    groups: dict[str, list[tuple[float, int, int]]] = {}
    for doc, (logprob, tokens) in zip(docs, scored, strict=True):
        doc_bits = -logprob / math.log(2)
        groups.setdefault(doc.group, []).append((doc_bits, len(doc.text.encode("utf-8")), tokens))
    out = []
    for group, items in groups.items():
        bits = [b for b, _, _ in items]
        nbytes = [n for _, n, _ in items]
        tokens = sum(t for _, _, t in items)
        out.append(
            DomainResult(
                group=group,
                bits_per_byte=sum(bits) / max(1, sum(nbytes)),
                stderr=ratio_stderr(bits, nbytes),
                token_perplexity=math.exp(sum(bits) * math.log(2) / max(1, tokens)),
                docs=len(items),
                bytes=sum(nbytes),
                tokens=tokens,
            )
        )
    return out
