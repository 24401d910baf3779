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


def test_vectorised_piece_indices_match_the_python_split():
    cfg = ParagraphDedupConfig(min_chars=1)
    texts = [TEXT, "", "one\n\n\n\ntwo \n  \nthree", "\n\nlead blank"]
    batch = pa.RecordBatch.from_pydict({"doc_id": ["a", "b", "c", "d"], "text": texts})
    rows = pa.Table.from_batches(list(piece_hashes(iter([batch]), cfg))).to_pylist()
    by_doc: dict[str, list[int]] = {}
    for r in rows:
        by_doc.setdefault(r["doc_id"], []).append(r["para_idx"])
    for doc_id, text in zip("abcd", texts, strict=True):
        pieces, _ = split(text, "paragraph")
        expected = [i for i, p in enumerate(pieces) if p.strip()]
        assert by_doc.get(doc_id, []) == expected, (doc_id, pieces)
