"""The base model: SmolLM2-135M-Instruct converted from the installed GGUF into an HF folder.

The converted folder is cached in pytest's cache (the first run converts, ~40 s; later runs
reuse it), next to the tokenizer the tokenize tests extract there.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import torch

from training.base_model import BASE_NAME, MANIFEST, gguf_path, prepare_base_model


@pytest.fixture(scope="module")
def base(request):
    return prepare_base_model(request.config.cache.mkdir("ladder-artifacts"))


def test_converted_folder_is_a_llama_with_the_gguf_hash(base):
    config = json.loads((base.path / "config.json").read_text())
    assert config["model_type"] == "llama" and config["num_hidden_layers"] == 30
    assert config["hidden_size"] == 576 and config["vocab_size"] == 49152
    assert "quantization_config" not in config
    assert (base.path / "model.safetensors").is_file() and (base.path / "tokenizer.json").is_file()
    manifest = json.loads((base.path / MANIFEST).read_text())
    digest = hashlib.sha256(gguf_path().read_bytes()).hexdigest()
    assert manifest["source_sha256"] == digest
    assert manifest["parameters"] == 134_515_008
    assert base.pretrain_tokens == 2e12


def test_converted_model_answers_a_chat_prompt(base):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base.path))
    model = AutoModelForCausalLM.from_pretrained(str(base.path), dtype=torch.float32)
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
    out = model.generate(ids, max_new_tokens=8, do_sample=False)
    answer = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer, answer


def test_base_model_is_registered_once_per_content(base, spark, tmp_path):
    """Registration logic on a small copy (hashing 540 MB twice adds nothing to the test)."""
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry
    from data_pipeline.lakehouse.tables import Lakehouse
    from training.records import register_base_model

    folder = tmp_path / BASE_NAME
    folder.mkdir()
    for name in ("config.json", MANIFEST):
        shutil.copy(base.path / name, folder / name)
    registry = ArtifactRegistry(Lakehouse(str(tmp_path / "lake"), spark))
    first = register_base_model(registry, folder, base.manifest)
    again = register_base_model(registry, folder, base.manifest)
    assert first.name == f"base_model/{BASE_NAME}" and first.kind == "hf_model"
    assert (again.name, again.version) == (first.name, first.version) == (first.name, 1)
