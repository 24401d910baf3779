"""The tokenize stage's typed config (``conf/stages/tokenize.yaml`` maps onto it)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from data_pipeline.lakehouse.config import StrictModel
from data_pipeline.lakehouse.names import TableName
from data_pipeline.tokenize.heldout import HeldoutConfig


class QualityBucket(StrictModel):
    """Documents with ``quality_score >= min_score`` (highest bucket first); scores below every
    bucket go to the lowest one, documents without a score to ``unscored``."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    min_score: float


class TokenizeConfig(StrictModel):
    """Tokenisation and packing. Lengths in tokens; ``part_chars`` in characters of text.

    ``tokenizer``: a HF tokenizer folder or tokenizer.json (relative to the project file);
    unset = the base model's (SmolLM2) tokenizer. ``eos_token``/``bos_token`` default to the
    tokenizer's own. ``part_chars`` sets how many groups (MDS parts) a stream gets, from the
    data, not from the cluster, so the shards are the same on any cluster; ``tasks`` only
    spreads the groups over Spark tasks.
    """

    input_table: TableName = "deduped_docs"
    name: str = Field(default="corpus", pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    tokenizer: str | None = None
    eos_token: str | None = None
    add_bos: bool = False
    bos_token: str | None = None
    seq_len: int = Field(default=2048, ge=8)
    token_dtype: Literal["auto", "uint16", "int32"] = "auto"
    tails: Literal["carry", "drop"] = "carry"
    streams: Literal["source", "quality", "source_quality"] = "source"
    quality_buckets: list[QualityBucket] = Field(
        min_length=1,
        default_factory=lambda: [
            QualityBucket(name="high", min_score=0.7),
            QualityBucket(name="medium", min_score=0.4),
            QualityBucket(name="low", min_score=0.0),
        ],
    )
    part_chars: int = Field(default=32_000_000, ge=1000)
    output_dir: str | None = Field(default=None, description="default <artifacts>/mds/<name>")
    compression: str | None = "zstd"
    hashes: list[str] = Field(default_factory=lambda: ["sha1", "xxh64"])
    shard_size_limit: int = Field(default=1 << 26, ge=1 << 16)
    threads_per_task: int = Field(default=1, ge=1)
    tasks: int | None = Field(
        default=None, ge=1, description="Spark tasks; default: the cluster's default parallelism"
    )
    heldout: HeldoutConfig = Field(default_factory=HeldoutConfig)
