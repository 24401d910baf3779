"""Figures ``ladder plan`` needs, read without importing torch, transformers or Composer.

- ``config_keys``: a model's config as plain keys (preset plus overrides, or a ``config.json``).
- ``dense_parameters``: the exact parameter count of a dense Llama-family decoder from those
  keys; other architectures return None and the plan counts on PyTorch's meta device instead.
  The tests check it against the meta-device count of every preset.
- ``gpu_peak_table``: Composer's table of GPU peak FLOP/s, read from its source file.
- ``index_samples``: samples in a shard folder's MDS indexes.

Importing torch and Composer costs seconds of CPU; ``ladder plan`` only does arithmetic.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from training.flops import ParamCount

#: Architectures laid out as Llama: attention q/k/v/o, gated MLP, RMSNorm, no other weights.
DENSE_LLAMA = {"llama", "mistral"}
#: Known base models whose shape is a preset (checked against the converted model in tests).
BASE_MODEL_SHAPES = {"smollm2-135m-instruct": "llama-135m"}


def config_keys(spec: Any, artifacts_root: Path | None) -> dict[str, Any] | None:
    """Config keys of a recipe's ``model`` spec, or None when only transformers can read them."""
    from training.presets import preset_config

    if spec.from_scratch:
        overrides = spec.config
        if isinstance(overrides, str):
            overrides = json.loads(Path(overrides).read_text())
        return preset_config(spec.preset, dict(overrides or {}))
    from training.base_model import KNOWN_BASE_MODELS, base_model_dir
    from training.presets import preset_config

    if spec.source in KNOWN_BASE_MODELS:
        folder = base_model_dir(artifacts_root or Path("artifacts"), str(spec.source))
    else:
        folder = Path(str(spec.source))
    path = folder / "config.json"
    if path.is_file():
        return json.loads(path.read_text())
    if spec.source in BASE_MODEL_SHAPES:  # not converted yet: its preset has the same shape
        return preset_config(BASE_MODEL_SHAPES[str(spec.source)])
    return None


def dense_parameters(keys: dict[str, Any]) -> ParamCount | None:
    """Parameters of a dense Llama-family decoder described by ``keys`` (None otherwise)."""
    if keys.get("model_type", "llama") not in DENSE_LLAMA:
        return None
    try:
        vocab, hidden = int(keys["vocab_size"]), int(keys["hidden_size"])
        inner, layers = int(keys["intermediate_size"]), int(keys["num_hidden_layers"])
        heads = int(keys["num_attention_heads"])
    except (KeyError, TypeError, ValueError):
        return None
    kv_heads = int(keys.get("num_key_value_heads") or heads)
    head_dim = int(keys.get("head_dim") or hidden // heads)
    attn_bias, mlp_bias = bool(keys.get("attention_bias")), bool(keys.get("mlp_bias"))
    attention = hidden * head_dim * (heads + 2 * kv_heads) + heads * head_dim * hidden
    attention += (head_dim * (heads + 2 * kv_heads) + hidden) if attn_bias else 0
    mlp = 3 * hidden * inner + ((2 * inner + hidden) if mlp_bias else 0)
    per_layer = attention + mlp + 2 * hidden  # two RMSNorm weights
    embedding = vocab * hidden
    head = 0 if keys.get("tie_word_embeddings", False) else vocab * hidden
    total = embedding + layers * per_layer + hidden + head  # + the final norm
    return ParamCount(total, total, embedding)


@cache
def gpu_peak_table() -> dict[str, dict[str, float]]:
    """Composer's ``GPU_AVAILABLE_FLOPS`` (composer/callbacks/speed_monitor.py), evaluated from
    the module's constant assignments only: no import of Composer (and torch)."""
    spec = importlib.util.find_spec("composer")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("composer is not installed")
    source = Path(spec.submodule_search_locations[0]) / "callbacks" / "speed_monitor.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    allowed: tuple[type[ast.AST], ...] = (ast.Constant, ast.Dict, ast.Name, ast.BinOp)
    allowed += (ast.UnaryOp, ast.Load, ast.operator, ast.unaryop)
    constants: list[ast.stmt] = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and all(isinstance(t, ast.Name) for t in node.targets)
        and all(isinstance(n, allowed) for n in ast.walk(node.value))
    ]
    scope: dict[str, Any] = {}
    exec(compile(ast.Module(constants, []), str(source), "exec"), {"__builtins__": {}}, scope)
    return scope["GPU_AVAILABLE_FLOPS"]


def index_samples(root: str | Path, split: str | None = None) -> int:
    """Samples listed in the MDS ``index.json`` of every stream under ``root``."""
    from training.shard_index import read_index, stream_dirs

    return sum(
        int(s["samples"])
        for stream in stream_dirs(root, split)
        for s in read_index(stream, split)["shards"]
    )
