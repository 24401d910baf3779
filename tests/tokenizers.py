"""The base model's tokenizer for tests, extracted once into pytest's cache folder.

Extracting it from the GGUF file takes ~30 s; ``.pytest_cache`` keeps it between runs.
"""

from __future__ import annotations

from pathlib import Path

from data_pipeline.lakehouse.tokenizer import default_tokenizer_dir


def base_tokenizer(pytest_config) -> Path:
    """The SmolLM2 tokenizer folder (``default_tokenizer_dir`` under the pytest cache)."""
    return default_tokenizer_dir(pytest_config.cache.mkdir("ladder-artifacts"))
