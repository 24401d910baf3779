"""Typed settings of the dedup stage, with the published defaults.

Defaults: exact dedup on the normalised text, then MinHash on word 5-grams, 91 permutations
(datasketch ``affine32`` scheme, seed 1), Jaccard threshold 0.8, bands x rows chosen for that
threshold with P(candidate | s = 0.8) >= 0.95 (13 x 7 = 91; the same choice is made with up to
128 permutations, so 91 wastes none), exact-Jaccard verification of every candidate,
one scope across all sources, survivor = highest ``quality_score`` (when the column exists),
then earliest ``ingested_at``, then smallest ``doc_id``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from data_pipeline.dedup.banding import Banding, choose_banding
from data_pipeline.dedup.normalize import NormalizeConfig
from data_pipeline.dedup.shingles import ShingleConfig
from data_pipeline.lakehouse.config import StrictModel, stable_hash
from data_pipeline.lakehouse.names import TableName


class SurvivorKey(StrictModel):
    """One ordering key of the survivor rule; keys whose column is absent are skipped."""

    column: str
    order: Literal["asc", "desc"] = "asc"


def _default_survivor() -> list[SurvivorKey]:
    return [
        SurvivorKey(column="quality_score", order="desc"),
        SurvivorKey(column="ingested_at", order="asc"),
        SurvivorKey(column="doc_id", order="asc"),
    ]


class DedupConfig(StrictModel):
    """Settings of exact + MinHash deduplication (see the module docstring for defaults)."""

    input_table: TableName = "filtered_docs"
    scope: Literal["global", "source"] = Field(
        default="global", description="dedupe across all sources, or within each source"
    )
    exact: bool = True
    fuzzy: bool = True
    normalize: NormalizeConfig = Field(default_factory=NormalizeConfig)
    shingles: ShingleConfig = Field(default_factory=ShingleConfig)
    num_perm: int = Field(default=91, ge=8, le=1024)
    seed: int = Field(default=1, ge=0)
    threshold: float = Field(default=0.8, gt=0.0, le=1.0, description="Jaccard similarity")
    bands: int | None = Field(default=None, ge=1)
    rows: int | None = Field(default=None, ge=1)
    fp_weight: float = Field(default=0.2, ge=0.0)
    fn_weight: float = Field(default=0.8, ge=0.0)
    min_candidate_probability: float | None = Field(default=0.95, gt=0.0, lt=1.0)
    verify: bool = Field(default=True, description="drop candidates below the threshold")
    max_bucket_size: int = Field(
        default=200, ge=2, description="larger buckets pair every member with the smallest"
    )
    survivor: list[SurvivorKey] = Field(default_factory=_default_survivor)
    incremental: bool = Field(
        default=True, description="reuse stored signatures and clusters of earlier runs"
    )
    max_cc_rounds: int = Field(default=60, ge=1)
    checkpoint: Literal["auto", "local", "reliable"] = Field(
        default="auto",
        description="how connected components cut their lineage: 'local' keeps blocks on the "
        "executors (fast; lost with an executor), 'reliable' writes them under the lakehouse "
        "(survives a lost worker); 'auto' is local on local[*] and reliable on a cluster",
    )

    def banding(self) -> Banding:
        """The bands x rows used (configured, or chosen for ``threshold``)."""
        return choose_banding(
            self.threshold,
            self.num_perm,
            self.fp_weight,
            self.fn_weight,
            self.min_candidate_probability,
            self.bands,
            self.rows,
        )

    def signature_key(self) -> str:
        """Hash of everything that changes a stored signature or band key."""
        band = self.banding()
        return stable_hash(
            {
                "normalize": self.normalize.model_dump(),
                "shingles": self.shingles.model_dump(),
                "num_perm": self.num_perm,
                "seed": self.seed,
                "bands": band.bands,
                "rows": band.rows,
            }
        )

    def cluster_key(self) -> str:
        """Hash of everything that changes which documents end up in one cluster."""
        return stable_hash(
            {
                "signature": self.signature_key(),
                "scope": self.scope,
                "exact": self.exact,
                "fuzzy": self.fuzzy,
                "threshold": self.threshold,
                "verify": self.verify,
                "max_bucket_size": self.max_bucket_size,
            }
        )
