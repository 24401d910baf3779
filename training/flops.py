"""Parameter counts and training FLOPs of Hugging Face causal LMs, without allocating weights.

Counts come from instantiating the model on PyTorch's ``meta`` device, so a 70B config costs no
memory. Mixture-of-experts configs (Mixtral, Qwen2-MoE, OLMoE, DeepSeek: parameters under an
``experts`` module) report *active* parameters: expert weights scaled by
``num_experts_per_tok / num_experts``.

``train_flops_per_token``: 6 x (matmul parameters) + 12 x layers x seq_len x attention width,
the dense forward+backward count llm-foundry and Megatron use for MFU (attention scores are
counted in full, not halved for the causal mask; the input embedding lookup is not a matmul).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_EXPERT = re.compile(r"(^|\.)experts\.")
_EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")


@dataclass(frozen=True)
class ParamCount:
    """``total``: unique parameters; ``active``: used per token; ``embedding``: input table."""

    total: int
    active: int
    embedding: int
    experts: int = 0
    experts_per_token: int = 0


def _expert_counts(config: Any) -> tuple[int, int]:
    experts = next((getattr(config, k) for k in _EXPERT_KEYS if getattr(config, k, None)), 0)
    per_token = getattr(config, "num_experts_per_tok", 0) or getattr(config, "moe_top_k", 0) or 0
    return int(experts or 0), int(per_token or 0)


def count_parameters(config: Any) -> ParamCount:
    """Parameters of the causal LM that ``config`` describes (a transformers config object)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    seen: set[int] = set()
    total = expert_params = 0
    for name, param in model.named_parameters():
        if id(param) in seen:
            continue
        seen.add(id(param))
        total += param.numel()
        if _EXPERT.search(name):
            expert_params += param.numel()
    embedding = model.get_input_embeddings().weight.numel()
    experts, per_token = _expert_counts(config)
    active = total
    if expert_params and experts and per_token:
        active = total - expert_params + expert_params * per_token // experts
    return ParamCount(total, active, embedding, experts, per_token)


def _layers_and_width(config: Any) -> tuple[int, int] | None:
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", None)
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head", None)
    hidden = getattr(config, "hidden_size", None) or getattr(config, "n_embd", None)
    if not (layers and heads and hidden):
        return None
    head_dim = getattr(config, "head_dim", None) or hidden // heads
    return int(layers), int(heads * head_dim)


def has_known_shape(config: Any) -> bool:
    """True when layers, heads and width can be read from the config (MFU is defined)."""
    return _layers_and_width(config) is not None


def train_flops_per_token(config: Any, params: ParamCount, seq_len: int) -> float | None:
    """Forward+backward FLOPs per token; None when the config's shape keys are unknown."""
    shape = _layers_and_width(config)
    if shape is None:
        return None
    layers, attn_width = shape
    vocab = int(getattr(config, "vocab_size", 0) or 0)
    hidden = params.embedding // vocab if vocab else 0
    matmul = params.active - params.embedding
    if getattr(config, "tie_word_embeddings", False):
        matmul += vocab * hidden  # the tied output projection is still a matmul
    return 6.0 * matmul + 12.0 * layers * seq_len * attn_width
