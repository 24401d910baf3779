"""Builds the Hugging Face causal LM of a recipe and wraps it for Composer.

``LadderLM`` is Composer's ``HuggingFaceModel`` plus ``flops_per_batch`` (so SpeedMonitor
reports FLOP/s and MFU) for the Llama-shaped families transformers ships (Llama, Mistral,
Qwen2, Gemma, OLMo, Mixtral, GPT-2, ...). Evaluation reports ``LanguageCrossEntropy`` and
``LanguagePerplexity`` over the labelled tokens.

Decoder layers are marked ``_fsdp_wrap`` (and ``_activation_checkpointing`` when asked) so
Composer's FSDP wraps one layer per unit.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from composer.models import HuggingFaceModel

from training.flops import ParamCount, count_parameters, has_known_shape, train_flops_per_token
from training.presets import preset_config
from training.recipe_sections import ModelSpec


def resolve_attention(requested: str, device: str) -> str:
    """``auto``: FlashAttention 2 when installed and on GPU, else PyTorch SDPA."""
    if requested != "auto":
        return requested
    if device == "gpu":
        from transformers.utils import is_flash_attn_2_available

        if is_flash_attn_2_available():
            return "flash_attention_2"
    return "sdpa"


def model_source_dir(spec: ModelSpec, artifacts_root: Path | None) -> Path | None:
    """The HF folder of a trained source model (converting a known base model on first use)."""
    if spec.from_scratch:
        return None
    from training.base_model import resolve_model_source

    return resolve_model_source(str(spec.source), artifacts_root)


def scratch_config(spec: ModelSpec):
    """The transformers config for pretraining from scratch (preset + overrides)."""
    from transformers import AutoConfig

    overrides: dict[str, Any] = {}
    if isinstance(spec.config, str):
        overrides = json.loads(Path(spec.config).read_text())
    elif spec.config:
        overrides = dict(spec.config)
    keys = preset_config(spec.preset, overrides)
    return AutoConfig.for_model(keys.pop("model_type", "llama"), **keys)


def model_config(spec: ModelSpec, artifacts_root: Path | None, convert: bool = True):
    """The model's config without loading weights (``convert=False``: read a known base
    model's config from its GGUF file instead of converting it)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoConfig

    if spec.from_scratch:
        return scratch_config(spec)
    from training.base_model import KNOWN_BASE_MODELS, base_model_dir, gguf_path

    if not convert and spec.source in KNOWN_BASE_MODELS:
        folder = base_model_dir(artifacts_root or Path("artifacts"), str(spec.source))
        if not (folder / "config.json").is_file():
            gguf = gguf_path(str(spec.source))
            return AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        return AutoConfig.from_pretrained(str(folder))
    return AutoConfig.from_pretrained(str(model_source_dir(spec, artifacts_root)))


def build_hf_model(spec: ModelSpec, artifacts_root: Path | None, device: str):
    """(model, tokenizer or None, source folder or None). Weights load in float32; Composer
    applies the recipe's precision. Seed the RNGs first: fresh models are initialised here."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    attention = resolve_attention(spec.attn_implementation, device)
    source = model_source_dir(spec, artifacts_root)
    if source is None:
        model = AutoModelForCausalLM.from_config(
            scratch_config(spec), attn_implementation=attention, dtype=torch.float32
        )
    else:
        model = AutoModelForCausalLM.from_pretrained(
            str(source), attn_implementation=attention, dtype=torch.float32
        )
    tokenizer_dir = spec.tokenizer
    if tokenizer_dir in (None, "default"):
        own = source is not None and (source / "tokenizer.json").is_file()
        if own or (spec.tokenizer == "default" and artifacts_root is not None):
            from data_pipeline.lakehouse.tokenizer import model_tokenizer_dir

            tokenizer_dir = str(model_tokenizer_dir(None, source, artifacts_root or ""))
        else:
            tokenizer_dir = None
    tokenizer = (
        AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
        if tokenizer_dir
        else None
    )
    if spec.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    mark_layers(model, activation_checkpointing=False)
    return model, tokenizer, source


def decoder_layers(model) -> list:
    """The repeated transformer blocks of an HF causal LM (empty when the layout is unknown)."""
    for path in ("model.layers", "transformer.h", "gpt_neox.layers", "model.decoder.layers"):
        node = model
        for part in path.split("."):
            node = getattr(node, part, None)
        if node is not None:
            return list(node)
    return []


def mark_layers(model, activation_checkpointing: bool) -> None:
    """Tell Composer's FSDP to wrap (and optionally checkpoint) each decoder layer."""
    for layer in decoder_layers(model):
        layer._fsdp_wrap = True
        layer._activation_checkpointing = activation_checkpointing


@contextmanager
def _known_causal_lm():
    """Skip Composer's causal-LM check, which imports every model class transformers has
    (~140 modules, 8-30 s per process here) only to pick a ``shift_labels`` default that we set
    explicitly. Restored on exit."""
    from composer.models import huggingface

    original = huggingface._is_registered_causal_lm
    huggingface._is_registered_causal_lm = lambda model: True
    try:
        yield
    finally:
        huggingface._is_registered_causal_lm = original


class LadderLM(HuggingFaceModel):
    """Composer wrapper of an HF causal LM: training loss from the model, eval CE/perplexity."""

    def __init__(self, model, tokenizer=None):
        from composer.metrics.nlp import LanguageCrossEntropy, LanguagePerplexity

        if not type(model).__name__.endswith("ForCausalLM"):
            raise TypeError(f"expected a Hugging Face *ForCausalLM model, got {type(model)}")
        with _known_causal_lm():
            super().__init__(
                model,
                tokenizer=tokenizer,
                use_logits=True,
                eval_metrics=[LanguageCrossEntropy(), LanguagePerplexity()],
                shift_labels=True,
            )
        self.param_count: ParamCount = count_parameters(model.config)


class LadderLMWithFlops(LadderLM):
    """``LadderLM`` plus ``flops_per_batch``, for families whose config shape is known."""

    def __init__(self, model, tokenizer=None):
        super().__init__(model, tokenizer)
        self._flops_0 = train_flops_per_token(model.config, self.param_count, 0) or 0.0
        self._flops_1 = train_flops_per_token(model.config, self.param_count, 1) or 0.0

    def flops_per_batch(self, batch: dict[str, Any]) -> float:
        """Forward+backward FLOPs of a batch of ``input_ids`` (B x S), see ``training.flops``."""
        rows, seq = batch["input_ids"].shape[:2]
        per_token = self._flops_0 + (self._flops_1 - self._flops_0) * seq
        return float(per_token * rows * seq)


def wrap_model(model, tokenizer=None) -> LadderLM:
    """The Composer model; with ``flops_per_batch`` (hence MFU) when the family is known."""
    if not has_known_shape(model.config):
        return LadderLM(model, tokenizer)
    return LadderLMWithFlops(model, tokenizer)
