"""Deduplication: exact hashes, MinHash LSH with verification, distributed components."""

from data_pipeline.dedup.config import DedupConfig, SurvivorKey
from data_pipeline.dedup.engine import DedupResult, Prior, deduplicate

__all__ = ["DedupConfig", "DedupResult", "Prior", "SurvivorKey", "deduplicate"]
