"""Matching and cutting one batch (no Spark): spans, margins and when a document is dropped."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from data_pipeline.decontam.config import DecontamConfig
from data_pipeline.decontam.index import NgramIndex, build_index
from data_pipeline.decontam.match import CLEAN, CUT, DROPPED, TOO_SHORT, Hit, cut, scan_table


@dataclass
class Item:
    task: str
    item_key: str
    text: str


ITEM = "which gas do plants absorb from the air to make their food by photosynthesis carbon dioxide"
FILLER = "Lorem history of the valley and its rivers, told at length by the local people. " * 6


def _index(cfg: DecontamConfig) -> NgramIndex:
    return NgramIndex.from_rows(build_index([Item("t", "/0", ITEM)], cfg.index).rows)


def test_cut_removes_the_match_with_its_margin():
    text = "a" * 50 + " MATCH " + "b" * 50
    start = text.index("MATCH")
    out, spans = cut(text, [Hit(0, 0, 0, 1, start, start + 5)], margin=10)
    assert spans == 1
    assert out == "a" * 41 + "\n" + "b" * 41


def test_scan_cuts_long_documents_and_drops_short_ones():
    cfg = DecontamConfig(margin_chars=20, min_remaining_chars=100)
    index = _index(cfg)
    long_doc = FILLER + " Which gas do PLANTS absorb from the air, to make their food by "
    long_doc += "photosynthesis? Carbon dioxide. " + FILLER
    short_doc = "Quiz: " + ITEM
    clean = FILLER + " plants absorb from the air " + FILLER
    table = pa.table({"doc_id": ["l", "s", "c"], "text": [long_doc, short_doc, clean]})
    out = scan_table(table, index, cfg).to_pylist()
    assert [r["decontam_action"] for r in out] == [CUT, DROPPED, CLEAN]
    assert out[1]["decontam_reason"] == TOO_SHORT
    assert "photosynthesis" not in out[0]["text"].lower() and len(out[0]["text"]) > 600
    assert out[2]["text"] == clean and out[2]["hits"] is None
    hit = out[0]["hits"][0]
    assert long_doc[hit["char_start"] : hit["char_end"]].lower().startswith("which gas")
    assert out[0]["input_chars"] == len(long_doc)


def test_drop_action_drops_every_contaminated_document():
    cfg = DecontamConfig(action="drop")
    table = pa.table({"doc_id": ["l"], "text": [FILLER + ITEM + FILLER]})
    assert scan_table(table, _index(cfg), cfg).to_pylist()[0]["decontam_action"] == DROPPED
