"""Paragraph (or line) level exact deduplication, per Arrow batch: split, hash, rebuild.

A document is split at blank lines (``unit: paragraph``) or at line breaks (``unit: line``);
separators are kept, so a document rebuilt with nothing removed is byte-identical. Each piece
is normalised as the dedup stage normalises and hashed to 64 bits (``shingles.token_hashes`` of
the normalised bytes; a false match needs a 64-bit collision, about ``P^2 / 2^65`` for P
distinct pieces: below 1e-8 for 10^5 pieces). Pieces whose normalised text is shorter than
``min_chars`` are never counted or removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from data_pipeline.dedup.config import SurvivorKey, _default_survivor
from data_pipeline.dedup.normalize import NormalizeConfig, normalize
from data_pipeline.dedup.shingles import token_hashes
from data_pipeline.lakehouse.config import StrictModel

# ASCII whitespace only, so Python's ``re`` and Arrow's RE2 split alike
PATTERNS = {"paragraph": r"\n[ \t\r\f\v]*\n[ \t\n\r\f\v]*", "line": r"\n+"}
SEPARATORS = {unit: re.compile(f"({p})") for unit, p in PATTERNS.items()}
CLEAN, EDITED, DROPPED = "clean", "edited", "dropped"
ACTIONS = (CLEAN, EDITED, DROPPED)
EMPTY = "empty_after_paragraph_dedup"


class ParagraphDedupConfig(StrictModel):
    """Settings of the dedup_paragraphs stage.

    Defaults: paragraphs (blank-line separated) of at least 40 normalised characters that occur
    in at least 2 documents are kept only in the first document by the survivor rule (the dedup
    stage's: highest ``quality_score``, earliest ``ingested_at``, smallest ``doc_id``) and at
    their first position there; a document left with fewer than 50 characters is rejected.
    """

    input_table: str = "deduped_docs"
    unit: Literal["paragraph", "line"] = "paragraph"
    min_chars: int = Field(default=40, ge=1, description="normalised characters of a piece")
    min_docs: int = Field(default=2, ge=2, description="documents a piece must occur in")
    min_doc_chars: int = Field(default=50, ge=0, description="shorter edited documents dropped")
    normalize: NormalizeConfig = Field(default_factory=NormalizeConfig)
    survivor: list[SurvivorKey] = Field(default_factory=_default_survivor)


def split(text: str, unit: str) -> tuple[list[str], list[str]]:
    """(pieces, separators): ``pieces[0] + seps[0] + pieces[1] + ...`` is ``text``."""
    parts = SEPARATORS[unit].split(text or "")
    return parts[0::2], parts[1::2]


def rebuild(pieces: list[str], seps: list[str], drop: set[int]) -> str:
    """The text without the pieces in ``drop`` (each with the separator before it)."""
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i in drop:
            continue
        if out:
            out.append(seps[i - 1])
        out.append(piece)
    return "".join(out)


PIECES = pa.schema(
    [("doc_id", pa.string()), ("para_idx", pa.int32()), ("para_hash", pa.int64()),
     ("para_chars", pa.int64())]
)  # fmt: skip


def piece_hashes(
    batches: Iterator[pa.RecordBatch], config: ParagraphDedupConfig, carry: tuple[str, ...] = ()
):
    """``mapInArrow``: (doc_id, text, *carry) batches -> one row per long-enough piece
    (``PIECES`` columns, then the ``carry`` columns of its document). Vectorised: Arrow splits
    at the same separators as ``split``, so piece ``i`` here is ``split(text)[0][i]``."""
    for batch in batches:
        texts = pc.fill_null(batch.column("text"), "")
        lists = pc.split_pattern_regex(texts, PATTERNS[config.unit])
        raw = lists.flatten()
        if not len(raw):
            continue
        owner = pc.list_parent_indices(lists).to_numpy()
        starts = np.asarray(lists.offsets)[:-1]
        index = np.arange(len(raw)) - starts[owner]
        norm = normalize(raw, config.normalize)
        norm = pc.utf8_trim_whitespace(pc.replace_substring_regex(norm, r"\s+", " "))
        keep = pc.greater_equal(pc.utf8_length(norm), config.min_chars)
        sel = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
        if not sel.size:
            continue
        rows = pa.array(owner[sel])
        yield pa.RecordBatch.from_arrays(
            [
                batch.column("doc_id").take(rows),
                pa.array(index[sel].astype(np.int32)),
                pa.array(token_hashes(norm.filter(keep)).view(np.int64)),
                pc.utf8_length(raw.filter(keep)).cast(pa.int64()),
                *(batch.column(c).take(rows) for c in carry),
            ],
            names=[*PIECES.names, *carry],
        )


def apply_removals(batches: Iterator[pa.RecordBatch], config: ParagraphDedupConfig):
    """``mapInArrow``: documents with ``drop_idx`` (null = nothing to drop) -> rebuilt texts,
    with ``para_action``, ``para_reason``, ``input_chars`` and ``paras_removed``."""
    for batch in batches:
        table = pa.Table.from_batches([batch])
        texts = table.column("text").to_pylist()
        drops = table.column("drop_idx").to_pylist()
        out: list[str] = []
        actions: list[str] = []
        reasons: list[str | None] = []
        removed: list[int] = []
        for text, drop in zip(texts, drops, strict=True):
            if not drop:
                out.append(text)
                actions.append(CLEAN)
                reasons.append(None)
                removed.append(0)
                continue
            pieces, seps = split(text, config.unit)
            new = rebuild(pieces, seps, set(drop))
            removed.append(len(set(drop)))
            if len(new.strip()) < config.min_doc_chars:
                out.append(text)
                actions.append(DROPPED)
                reasons.append(EMPTY)
            else:
                out.append(new)
                actions.append(EDITED)
                reasons.append(None)
        lengths = pc.fill_null(pc.utf8_length(table.column("text")), 0).cast(pa.int64())
        table = table.set_column(
            table.schema.get_field_index("text"), "text", pa.array(out, table.column("text").type)
        )
        table = table.drop_columns(["drop_idx"])
        table = (
            table.append_column("para_action", pa.array(actions, pa.string()))
            .append_column("para_reason", pa.array(reasons, pa.string()))
            .append_column("input_chars", lengths)
            .append_column("paras_removed", pa.array(removed, pa.int64()))
        )
        yield from table.to_batches()
