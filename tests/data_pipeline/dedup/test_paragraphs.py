"""Splitting documents into paragraphs or lines and rebuilding them without some."""

from __future__ import annotations

import pyarrow as pa

from data_pipeline.dedup.paragraphs import ParagraphDedupConfig, piece_hashes, rebuild, split

TEXT = "First para line one.\nline two.\n\n  Second para.\n \n\nThird para."


def test_split_keeps_separators_so_nothing_removed_is_identity():
    pieces, seps = split(TEXT, "paragraph")
    assert pieces == ["First para line one.\nline two.", "Second para.", "Third para."]
    assert rebuild(pieces, seps, set()) == TEXT
    assert rebuild(pieces, seps, {1}) == "First para line one.\nline two.\n \n\nThird para."
    assert rebuild(pieces, seps, {0}) == "Second para.\n \n\nThird para."
    assert split("a\nb", "line") == (["a", "b"], ["\n"])


def test_piece_hashes_ignore_case_and_spacing_and_skip_short_pieces():
    cfg = ParagraphDedupConfig(min_chars=20)
    batch = pa.RecordBatch.from_pydict(
        {
            "doc_id": ["a", "b"],
            "text": ["Cookie banner text here!\n\nshort", "COOKIE  banner text here"],
        }
    )
    rows = pa.Table.from_batches(list(piece_hashes(iter([batch]), cfg))).to_pylist()
    assert [(r["doc_id"], r["para_idx"]) for r in rows] == [("a", 0), ("b", 0)]
    assert rows[0]["para_hash"] == rows[1]["para_hash"]
