"""The base model's tokenizer, extracted offline from the GGUF package, and its metadata."""

from __future__ import annotations

import json
import os

import pytest

from data_pipeline.lakehouse.tokenizer import (
    default_tokenizer_dir,
    load_fast_tokenizer,
    load_hf_tokenizer,
    resolve_tokenizer,
    tokenizer_info,
)
from tests.tokenizers import base_tokenizer


@pytest.fixture(scope="module")
def tok_dir(request):
    return base_tokenizer(request.config)


def test_extracted_tokenizer_has_the_ids_the_gguf_declares(tok_dir):
    info = tokenizer_info(tok_dir)
    assert info.vocab_size == 49152
    assert (info.eos_token, info.eos_id) == ("<|im_end|>", 2)
    assert (info.bos_token, info.bos_id) == ("<|im_start|>", 1)
    assert len(info.sha256) == 64 and info.sha256 == tokenizer_info(tok_dir).sha256
    fast = load_fast_tokenizer(tok_dir)
    text = "Ladder tokenises 2048 tokens, naïvely — «bien sûr» 日本語."
    ids = fast.encode(text).ids
    assert ids[0] != 1, "no BOS is added (the GGUF says add_bos_token: false)"
    assert fast.decode(ids) == text
    hf = load_hf_tokenizer(tok_dir)
    assert hf(text).input_ids == ids
    chat = hf.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False)
    assert chat.startswith("<|im_start|>system\n") and "<|im_start|>user\nHi<|im_end|>" in chat


def test_second_call_reuses_the_folder_and_paths_resolve(tok_dir, tmp_path):
    stamp = os.stat(tok_dir / "tokenizer.json").st_mtime_ns
    assert default_tokenizer_dir(tok_dir.parent.parent) == tok_dir
    assert os.stat(tok_dir / "tokenizer.json").st_mtime_ns == stamp
    assert resolve_tokenizer(str(tok_dir / "tokenizer.json"), tmp_path).name == "tokenizer.json"
    info = tokenizer_info(tok_dir / "tokenizer.json")
    assert info.vocab_size == 49152 and info.eos_id is None
    with pytest.raises(FileNotFoundError, match="not found"):
        resolve_tokenizer(str(tmp_path / "missing"), tmp_path)
    assert json.loads((tok_dir / "tokenizer_config.json").read_text())["eos_token"] == "<|im_end|>"


def test_token_dtype_fits_the_vocabulary():
    from data_pipeline.lakehouse.config import ConfigError
    from data_pipeline.lakehouse.tokenizer import token_dtype

    assert token_dtype("auto", 49_152) == "uint16"
    assert token_dtype("auto", 1 << 16) == "uint16"
    assert token_dtype("auto", (1 << 16) + 1) == "int32"
    assert token_dtype("int32", 100) == "int32"
    with pytest.raises(ConfigError, match="uint16 cannot hold"):
        token_dtype("uint16", 100_000)
