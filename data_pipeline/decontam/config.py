"""Typed settings of the decontaminate stage, with the published defaults.

Defaults: word 13-grams (GPT-3), normalised as the dedup stage normalises; items shorter than
13 words are matched whole when they have at least ``min_words`` (8) words, shorter ones are not
indexed. N-grams shared by at least ``template_share`` (20%) of a task's items, and by 3 or more,
are prompt template or baked-in few-shot text and are left out. ``action: cut`` removes each
match with ``margin_chars`` (200, as GPT-3) on both sides and drops the document when fewer than
``min_remaining_chars`` (200) remain or it has more than ``max_spans`` (10) matches; ``drop``
drops every contaminated document.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from data_pipeline.dedup.normalize import NormalizeConfig
from data_pipeline.lakehouse.config import StrictModel, stable_hash


class IndexConfig(StrictModel):
    """Which evaluation items are indexed and how.

    ``gauntlet``, ``tasks`` and ``limit`` choose the items that the flows publish to the
    ``benchmark_items`` table before the stage runs; the stage indexes that table's pinned version.
    """

    gauntlet: str | None = Field(
        default=None, description="gauntlet YAML; null = conf/eval/gauntlet.yaml of the repo"
    )
    tasks: list[str] | None = Field(default=None, description="null = every gauntlet task")
    limit: int | None = Field(
        default=None, ge=1, description="items per task; null = each task's max_items cap"
    )
    n: int = Field(default=13, ge=2, le=64, description="words per n-gram")
    min_words: int = Field(default=8, ge=1, description="shorter items are not indexed")
    template_share: float = Field(default=0.2, gt=0.0, le=1.0)
    normalize: NormalizeConfig = Field(default_factory=NormalizeConfig)

    def key(self) -> str:
        return stable_hash(self.model_dump(mode="json"))


class DecontamConfig(StrictModel):
    """Settings of the decontaminate stage (see the module docstring for defaults)."""

    input_table: str = "paragraph_deduped_docs"
    index: IndexConfig = Field(default_factory=IndexConfig)
    action: Literal["cut", "drop"] = "cut"
    margin_chars: int = Field(default=200, ge=0)
    min_remaining_chars: int = Field(default=200, ge=0)
    max_spans: int = Field(default=10, ge=1)
    batch_docs: int = Field(default=1000, ge=1, description="documents hashed at once")
