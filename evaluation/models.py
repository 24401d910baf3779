"""Which model an evaluation is about, as an artifact, and loading it.

A model reference is one of: a known base model name (``smollm2-135m-instruct``, prepared by
``training.base_model``), ``artifact:NAME[@VERSION]`` from the artifact registry (e.g. a trained
``model/<run>``), or a Hugging Face model folder. Every evaluated model is an artifact: folders
and base models are registered (once per content hash) so results name ``artifact:NAME@V``.
A model in an object store (an artifact whose URI is ``s3://...``, or such a folder URI) is
downloaded once into a local cache (``training.paths.local_copy``) and loaded from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.artifacts import PREFIX, ArtifactRegistry, hash_path, parse_ref
from data_pipeline.lakehouse.tables import Ref
from training.paths import local_copy, package_models_root


@dataclass(frozen=True)
class ModelRef:
    """An evaluated model: its artifact id, folder and the MLflow run it was trained in."""

    artifact_id: str
    path: Path
    ref: Ref | None = None
    mlflow_run_id: str | None = None
    mlflow_tracking_uri: str | None = None

    @property
    def slug(self) -> str:
        """A key-safe short name (letters, digits, dashes)."""
        raw = self.artifact_id.removeprefix(PREFIX)
        return "".join(c if c.isalnum() else "-" for c in raw.lower()).strip("-")[:60]


def resolve_model(
    ref: str, artifacts_root: str | Path, registry: ArtifactRegistry | None = None
) -> ModelRef:
    """Resolve ``ref`` to a folder and an artifact (registered when a registry is given)."""
    from training.base_model import KNOWN_BASE_MODELS, prepare_base_model

    if ref.startswith(PREFIX):
        if registry is None:
            raise ValueError(f"{ref}: artifact references need a lakehouse")
        name, version = parse_ref(ref)
        art = registry.get(name, version)
        return ModelRef(
            str(art.ref),
            local_copy(art.uri),
            art.ref,
            art.manifest.get("mlflow_run_id"),
            art.manifest.get("mlflow_tracking_uri"),
        )
    if ref in KNOWN_BASE_MODELS:
        base = prepare_base_model(package_models_root(str(artifacts_root)), ref)
        path, name, manifest = base.path, f"base_model/{ref}", base.manifest
    else:
        uri = storage.absolute(ref)
        if not storage.is_file(storage.join(uri, "config.json")):
            raise FileNotFoundError(
                f"model {ref!r}: not a known base model ({sorted(KNOWN_BASE_MODELS)}), not "
                "artifact:NAME[@V] and not a Hugging Face model folder (no config.json)"
            )
        path = local_copy(uri)
        name, manifest = f"model_dir/{storage.basename(uri)}", {"path": uri}
    if registry is None:
        return ModelRef(f"path:{path}", path)
    digest = hash_path(path)  # the local copy holds exactly the remote files
    known = next((a for a in registry.versions(name) if a.content_hash == digest), None)
    if known is None:
        uri = manifest.get("path") or str(path)
        known = registry.register(name, "hf_model", uri, manifest, content_hash=digest)
    return ModelRef(str(known.ref), path, known.ref)


def load_model(path: str | Path, dtype: str = "float32", threads: int | None = None):
    """(model in eval mode, tokenizer) from a Hugging Face folder, on CPU or the first GPU."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if threads:
        torch.set_num_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype)).eval()
    if torch.cuda.is_available():
        model = model.to("cuda")
    return model, AutoTokenizer.from_pretrained(path)
