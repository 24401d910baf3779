"""Evaluation fixtures: the real SmolLM2 tokenizer and tiny random Llama models saved to disk."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tokenizer_dir(pytestconfig):
    """The project's default tokenizer (SmolLM2-135M-Instruct, from its GGUF file), extracted
    once into pytest's cache folder (``tests/tokenizers.py``)."""
    from tests.tokenizers import base_tokenizer

    return base_tokenizer(pytestconfig)


@pytest.fixture(scope="session")
def tokenizer(tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tokenizer_dir)


def make_tiny_llama(vocab_size: int, seed: int = 0, layers: int = 2, hidden: int = 32):
    """A small random LlamaForCausalLM (deterministic for a seed)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tokenizer):
    """A tiny random Llama with the real tokenizer, saved as a Hugging Face folder."""
    out = tmp_path_factory.mktemp("tiny_model")
    model = make_tiny_llama(len(tokenizer), seed=0)
    model.config.bos_token_id = tokenizer.bos_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tuned_model_dir(tmp_path_factory, tokenizer):
    """A second tiny model (another seed) standing in for a tuned model."""
    out = tmp_path_factory.mktemp("tiny_tuned")
    model = make_tiny_llama(len(tokenizer), seed=1)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
