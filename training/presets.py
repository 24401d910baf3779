"""Llama-family model sizes for pretraining from scratch (``model.preset`` in a recipe).

Vocabulary 49,152 (the SmolLM2 tokenizer the tokenize stage uses by default); override any key
with ``model.config``. Approximate parameter counts in the names; ``ladder plan`` prints exact
ones.
"""

from __future__ import annotations

from typing import Any

_BASE: dict[str, Any] = {
    "model_type": "llama",
    "vocab_size": 49152,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "max_position_embeddings": 2048,
    "tie_word_embeddings": True,
    "bos_token_id": 1,
    "eos_token_id": 2,
}

PRESETS: dict[str, dict[str, Any]] = {
    # a few hundred thousand parameters: tests and CPU benchmarks
    "llama-tiny": {
        "hidden_size": 64,
        "intermediate_size": 172,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 512,
        "max_position_embeddings": 512,
    },
    # the SmolLM2-135M shape
    "llama-135m": {
        "hidden_size": 576,
        "intermediate_size": 1536,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "max_position_embeddings": 8192,
        "rope_theta": 100000.0,
    },
    "llama-360m": {
        "hidden_size": 960,
        "intermediate_size": 2560,
        "num_hidden_layers": 32,
        "num_attention_heads": 15,
        "num_key_value_heads": 5,
    },
    # ~1.2B (TinyLlama-1.1B widths, SmolLM2 vocabulary, untied output)
    "llama-1b": {
        "hidden_size": 2048,
        "intermediate_size": 5632,
        "num_hidden_layers": 22,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
        "tie_word_embeddings": False,
    },
}


def preset_config(name: str | None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Config keys of preset ``name`` (or the base keys when None) with ``overrides`` applied."""
    if name is not None and name not in PRESETS:
        raise ValueError(f"unknown model preset {name!r}; known: {sorted(PRESETS)}")
    return {**_BASE, **(PRESETS[name] if name else {}), **(overrides or {})}
