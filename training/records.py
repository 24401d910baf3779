"""Before and after a training run: pin its inputs, record it, register its outputs.

Runs in the launching process (the flow), never in the training processes: it needs Spark for
the lakehouse's ``artifacts`` and ``runs`` tables. Inputs are the shard-set artifacts
(``artifact:mds-NAME@V``), the held-out table version used for evaluation
(``heldout_docs@V``) and, for a known base model, ``artifact:base_model/NAME@V``; outputs
are ``artifact:model/RUN@V`` (the HF folder) and ``artifact:checkpoint/RUN@V`` (the final
Composer checkpoint), each with a manifest naming the recipe hash, the inputs and MLflow run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.tokenizer import model_tokenizer_dir
from training.paths import RunPaths, local_mirror, package_models_root
from training.recipe import ARTIFACT_PREFIX, TABLE_PREFIX, Recipe
from training.recipe_files import load_recipe, save_recipe
from training.reuse import check_same_recipe
from training.trainer import run_paths

if TYPE_CHECKING:  # Spark-backed modules load only when a run is recorded
    from data_pipeline.lakehouse.artifacts import Artifact, ArtifactRegistry
    from data_pipeline.lakehouse.lineage import RunRecord
    from data_pipeline.lakehouse.tables import Lakehouse, Ref

STAGE = "train"


@dataclass
class PreparedRun:
    """A recipe with its artifacts resolved to folders, its run name and where it writes."""

    recipe: Recipe
    run_name: str
    paths: RunPaths
    inputs: list[Ref] = field(default_factory=list)
    lakehouse: Lakehouse | None = None


def open_project_lakehouse(recipe: Recipe) -> Lakehouse | None:
    """The lakehouse of the recipe's project (starts Spark), or None without a project."""
    if not recipe.project:
        return None
    from data_pipeline.lakehouse.project import read_project
    from data_pipeline.lakehouse.tables import open_lakehouse

    return open_lakehouse(read_project(recipe.project))


def resolve_artifact(
    ref: str, registry: ArtifactRegistry | None, artifacts_root: str | None
) -> tuple[str, Ref | None]:
    """(folder, pinned artifact version) of ``artifact:NAME[@V]``."""
    from data_pipeline.lakehouse.artifacts import parse_ref

    name, version = parse_ref(ref.removeprefix(ARTIFACT_PREFIX))
    if registry is not None:
        try:
            artifact = registry.get(name, version)
            return artifact.uri, artifact.ref
        except FileNotFoundError:
            if version is not None:
                raise
    folder = storage.join(artifacts_root, name) if artifacts_root is not None else None
    if folder is not None and version is None and storage.list_files(folder):
        return folder, None
    raise FileNotFoundError(f"{ref}: no such artifact (run the tokenize stage first)")


def register_base_model(registry: ArtifactRegistry, folder: Path, manifest: dict) -> Artifact:
    """Register a prepared base model once per content hash."""
    from data_pipeline.lakehouse.artifacts import hash_path

    name = f"base_model/{folder.name}"
    digest = hash_path(folder)
    for existing in reversed(registry.versions(name)):
        if existing.content_hash == digest:
            return existing
    return registry.register(name, "hf_model", str(folder), manifest, content_hash=digest)


def _tokenizer_dir(model, artifacts_root: Path) -> Path:
    """The tokenizer the run trains with: explicit, the model folder's own, or the default."""
    return model_tokenizer_dir(model.tokenizer, model.source, artifacts_root)


def shard_manifest(recipe: Recipe) -> dict | None:
    """The tokenize stage's ``manifest.json`` of the training shard set, if there is one."""
    folder: str | None = None
    if recipe.data.shards and not recipe.artifact_refs().get("data.shards"):
        folder = storage.absolute(recipe.data.shards)
        manifest = storage.join(folder, "manifest.json")
        if storage.is_file(storage.join(folder, "LATEST")) and not storage.is_file(manifest):
            version = storage.read_text(storage.join(folder, "LATEST")).strip()
            folder = storage.join(folder, version)
    elif recipe.data.mix:
        from training.mix import data_dir, load_mix

        folder = data_dir(load_mix(recipe.data.mix))
    if folder is None or not storage.is_file(storage.join(folder, "manifest.json")):
        return None
    return json.loads(storage.read_text(storage.join(folder, "manifest.json")))


def check_tokenizer(manifest: dict | None, tokenizer_dir: Path | None, vocab_size: int) -> None:
    """Refuse shards tokenised with another tokenizer than the model's, or ids it cannot embed."""
    info = (manifest or {}).get("tokenizer") or {}
    if info.get("vocab_size") and int(info["vocab_size"]) > vocab_size:
        raise ValueError(
            f"the shards' tokenizer has {info['vocab_size']} ids but the model embeds only "
            f"{vocab_size}: tokenise with the model's tokenizer (or grow model.config.vocab_size)"
        )
    if (
        info.get("sha256")
        and tokenizer_dir is not None
        and (tokenizer_dir / "tokenizer.json").is_file()
    ):
        from data_pipeline.lakehouse.tokenizer import tokenizer_info

        mine = tokenizer_info(tokenizer_dir).sha256
        if mine != info["sha256"]:
            raise ValueError(
                f"the shards were tokenised with {info.get('path')} (sha256 {info['sha256'][:12]}) "
                f"but the model's tokenizer {tokenizer_dir} differs (sha256 {mine[:12]})"
            )


def _pin_artifacts(
    refs: dict[str, str], registry: ArtifactRegistry | None, artifacts_root: str
) -> tuple[dict[str, Any], list[Ref]]:
    """``artifact:`` refs of the recipe's data -> their folders, and the pinned versions."""
    updates: dict[str, Any] = {}
    inputs: list[Ref] = []
    for key, ref in refs.items():
        if ref.startswith(ARTIFACT_PREFIX):
            folder, pinned = resolve_artifact(ref, registry, artifacts_root)
            updates[key.split(".", 1)[1]] = folder
            if pinned is not None:
                inputs.append(pinned)
    return updates, inputs


def _base_model(
    model: Any, local_root: Path, registry: ArtifactRegistry | None, record: bool
) -> tuple[Any, list[Ref]]:
    """A known base model prepared (and registered when recorded) as the model's source."""
    if model.from_scratch:
        return model, []
    from training.base_model import KNOWN_BASE_MODELS, prepare_base_model

    if model.source not in KNOWN_BASE_MODELS:
        return model, []
    base = prepare_base_model(local_root, model.source)
    inputs: list[Ref] = []
    if registry is not None and record:
        inputs.append(register_base_model(registry, base.path, base.manifest).ref)
    pretrain = model.pretrain_tokens or base.pretrain_tokens
    model = model.model_copy(update={"source": str(base.path), "pretrain_tokens": pretrain})
    return model, inputs


def _checked_tokenizer(
    recipe: Recipe, updates: dict[str, Any], model: Any, local_root: Path
) -> tuple[Path | None, int | None]:
    """The run's tokenizer folder, checked against the shard set's (when the data has one), and
    the shard set's EOS id."""
    data = recipe.data.model_copy(update=updates)
    manifest = shard_manifest(recipe.model_copy(update={"data": data}))
    tokenizer: Path | None = (
        _tokenizer_dir(model, local_root) if (model.tokenizer or model.source) else None
    )
    if manifest is not None:
        from training.model import model_config

        vocab = model_config(model, local_root, convert=False).vocab_size
        check_tokenizer(manifest, tokenizer, vocab)
    return tokenizer, ((manifest or {}).get("tokenizer") or {}).get("eos_id")


def _heldout_tables(
    recipe: Recipe,
    refs: dict[str, str],
    lakehouse: Lakehouse | None,
    tokenizer: Callable[[], Path],
    eos: int | None,
    artifacts_root: str,
) -> tuple[dict[str, Any], list[Ref]]:
    """``table:`` refs (held-out tables) -> evaluation shard folders, and the table versions
    (``tokenizer()`` is asked only when there is one)."""
    from data_pipeline.lakehouse.tables import TableVersion

    updates: dict[str, Any] = {}
    inputs: list[Ref] = []
    for key, ref in refs.items():
        if ref.startswith(TABLE_PREFIX):
            if lakehouse is None:
                raise ValueError(f"{recipe.origin}: {ref} needs the recipe's project lakehouse")
            from training.heldout_eval import heldout_eval_shards

            table, version = TableVersion.parse(ref.removeprefix(TABLE_PREFIX))
            shards, version = heldout_eval_shards(
                lakehouse, table, version, tokenizer(), recipe.seq_len,
                local_mirror(artifacts_root) / "mds-eval", eos_id=eos,
            )  # fmt: skip
            has_streams = any(shards.glob("*/index.json"))
            updates[key.split(".", 1)[1]] = str(shards) if has_streams else None
            inputs.append(TableVersion(table, version))
    return updates, inputs


def prepare(
    recipe_path: str | Path,
    overrides: list[str] | None = None,
    run_name: str | None = None,
    record: bool = True,
) -> PreparedRun:
    """Load the recipe, pin its artifacts, tables and base model, save the resolved copy.

    The lakehouse is opened (Spark) when the run is recorded or the recipe names artifacts or
    tables; ``record=False`` only skips writing records and registering artifacts.
    """
    recipe = load_recipe(recipe_path, overrides)
    refs = recipe.artifact_refs()
    lakehouse = open_project_lakehouse(recipe) if (record or refs) else None
    registry = None
    if lakehouse is not None:
        from data_pipeline.lakehouse.artifacts import ArtifactRegistry

        registry = ArtifactRegistry(lakehouse)
    artifacts_root = recipe.project_roots()[0] or str(Path("artifacts").resolve())
    local_root = package_models_root(artifacts_root)  # base models, tokenizers: local files
    updates, inputs = _pin_artifacts(refs, registry, artifacts_root)
    model, base_inputs = _base_model(recipe.model, local_root, registry, record)
    tokenizer, eos = _checked_tokenizer(recipe, updates, model, local_root)
    held_updates, held_inputs = _heldout_tables(
        recipe,
        refs,
        lakehouse,
        lambda: tokenizer or _tokenizer_dir(model, local_root),
        eos,
        artifacts_root,
    )
    data = recipe.data.model_copy(update={**updates, **held_updates})
    resolved = recipe.model_copy(update={"data": data, "model": model})
    name = run_name or resolved.run_name()
    paths = run_paths(resolved, name)
    check_same_recipe(paths, resolved)
    save_recipe(resolved, paths.recipe)
    inputs = [*inputs, *base_inputs, *held_inputs]
    return PreparedRun(resolved, name, paths, inputs, lakehouse if record else None)


@contextmanager
def recorded_training(
    run: PreparedRun, flow_run_id: str | None = None
) -> Iterator[RunRecord | None]:
    """Record the training run around the block: running on entry (a restart keeps its first
    start time), succeeded or failed at the end (``recording.recorded_run``). Yields None when
    the run is not recorded (``record=False``)."""
    if run.lakehouse is None:
        yield None
        return
    from data_pipeline.lakehouse.lineage import RunLog
    from data_pipeline.lakehouse.recording import recorded_run

    existing = RunLog(run.lakehouse).get(run.run_name, STAGE)
    with recorded_run(
        run.lakehouse,
        STAGE,
        run.run_name,
        run.inputs,
        run.recipe.dump(),
        config_hash=run.recipe.config_hash(),
        flow_run_id=flow_run_id,
        started_at=existing.started_at if existing else None,
    ) as record:
        yield record


def record_outputs(run: PreparedRun, record: RunRecord | None, result: dict) -> list[Ref]:
    """Register the model and checkpoint of a finished run; their refs become the record's
    outputs, with its counts (batches, tokens, ...)."""
    if run.lakehouse is None or record is None:
        return []
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry

    registry = ArtifactRegistry(run.lakehouse)
    manifest = {
        "recipe": run.recipe.name,
        "recipe_hash": run.recipe.config_hash(),
        "kind": run.recipe.kind,
        "inputs": [str(t) for t in run.inputs],
        "mlflow_run_id": result.get("mlflow_run_id"),
        "mlflow_tracking_uri": result.get("mlflow_tracking_uri"),
        "batches": result.get("batches"),
        "tokens": result.get("tokens"),
        "final_loss": result.get("final_loss"),
        "final_eval_loss": result.get("final_eval_loss"),
    }
    outputs: list[Ref] = []
    if result.get("hf_model"):
        outputs.append(
            registry.register(
                f"model/{run.run_name}", "hf_model", result["hf_model"], manifest,
                run_id=run.run_name, stage=STAGE,
            ).ref
        )  # fmt: skip
    if result.get("checkpoint"):
        outputs.append(
            registry.register(
                f"checkpoint/{run.run_name}", "composer_checkpoint", result["checkpoint"],
                manifest, run_id=run.run_name, stage=STAGE,
            ).ref
        )  # fmt: skip
    record.outputs = outputs
    record.counts = {
        key: int(result[key] or 0)
        for key in ("batches", "tokens", "truncated_tokens", "resumed_at_batch", "parameters")
        if key in result
    }
    return outputs
