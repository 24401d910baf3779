"""Checks made before a run launches: tokenizer consistency, held-out packing."""

from __future__ import annotations

import pytest

from tests.tokenizers import base_tokenizer
from training.heldout_eval import pack
from training.records import check_tokenizer


def test_heldout_packing_keeps_every_token_and_separates_documents():
    rows = pack([[5, 6, 7], [8], [9, 10]], eos_id=0, seq_len=4)
    assert [r.tolist() for r in rows] == [[5, 6, 7, 0], [8, 0, 9, 10], [0]]


def test_shards_from_another_tokenizer_are_refused(pytestconfig):
    from data_pipeline.lakehouse.tokenizer import tokenizer_info

    folder = base_tokenizer(pytestconfig)
    same = {"tokenizer": {"sha256": tokenizer_info(folder).sha256, "vocab_size": 49152}}
    check_tokenizer(same, folder, 49152)
    check_tokenizer(None, folder, 512)  # plain MDS folders carry no manifest
    other = {"tokenizer": {"sha256": "0" * 64, "vocab_size": 49152, "path": "/x"}}
    with pytest.raises(ValueError, match="tokenised with /x"):
        check_tokenizer(other, folder, 49152)
    with pytest.raises(ValueError, match="embeds only 512"):
        check_tokenizer(same, folder, 512)
