"""Training recipes: the typed ``Recipe`` (its sections are in ``training.recipe_sections``).

Contract: pure validation, no file access beyond ``project_roots``. A recipe is built from a
mapping whose relative paths are already resolved; ``training.recipe_files`` loads YAML from
``conf/train/``, applies ``key=value`` overrides and resolves paths before handing it here.
Shard sets named ``artifact:NAME[@VERSION]`` or ``table:NAME[@VERSION]`` stay as references
(``artifact_refs()``) for the flow to pin before training starts, so the training processes
never need Spark. Durations are strings such as ``100ba``, ``2ep``, ``2e9tok`` (``parse_time``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from data_pipeline.lakehouse.config import StrictModel, read_yaml, resolve_path, stable_hash
from data_pipeline.lakehouse.names import ARTIFACT_PREFIX
from training.recipe_sections import (
    DataSpec,
    ExportSpec,
    FsdpSpec,
    ModelSpec,
    MonitoringSpec,
    OptimizerSpec,
    SchedulerSpec,
    check_time,
    parse_time,
)

TABLE_PREFIX = "table:"


class Recipe(StrictModel):
    """One training run: model, data, batch, optimizer, schedule, duration and guards.

    ``global_batch_size`` is in sequences of ``seq_len`` tokens, split over all ranks;
    ``microbatch_size`` is per device (``auto`` searches on GPU; on CPU it means the whole device
    batch). ``duration``: ``Nba`` batches, ``Nep`` epochs or ``Ntok`` tokens (rounded up to whole
    batches). ``precision: auto`` = ``amp_bf16`` on GPU, ``fp32`` on CPU. ``eval_at_start``:
    evaluate the starting model before the first batch (logged at batch 0).
    """

    kind: Literal["cpt", "sft", "pretrain"]
    name: str | None = None
    project: str | None = None
    output_root: str | None = None
    model: ModelSpec = Field(default_factory=ModelSpec)
    data: DataSpec
    seq_len: int = Field(default=2048, ge=2)
    global_batch_size: int = Field(ge=1)
    microbatch_size: int | Literal["auto"] = "auto"
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    scheduler: SchedulerSpec = Field(default_factory=SchedulerSpec)
    duration: str
    precision: Literal["auto", "fp32", "amp_bf16", "amp_fp16"] = "auto"
    device: Literal["auto", "cpu", "gpu"] = "auto"
    fsdp: FsdpSpec = Field(default_factory=FsdpSpec)
    eval_interval: str = "500ba"
    eval_at_start: bool = True
    save_interval: str = "500ba"
    save_num_checkpoints_to_keep: int = Field(default=3, ge=-1)
    seed: int = 17
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)
    export: ExportSpec = Field(default_factory=ExportSpec)
    origin: str = Field(default="<memory>", exclude=True)

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str) -> str:
        return check_time(value, ("ba", "ep", "tok", "sp"))

    @field_validator("eval_interval", "save_interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        return check_time(value, ("ba", "ep"))

    @field_validator("microbatch_size")
    @classmethod
    def _microbatch(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("microbatch_size must be >= 1 or 'auto'")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Recipe:
        if self.kind == "sft" and self.data.loss_mask_column is None:
            self.data.loss_mask_column = "loss_mask"
        if self.kind == "pretrain" and not self.model.from_scratch:
            raise ValueError(
                "kind 'pretrain' trains from scratch: give model.preset or model.config"
            )
        if self.data.shuffle_seed is None:
            self.data.shuffle_seed = self.seed
        return self

    @property
    def tokens_per_batch(self) -> int:
        return self.global_batch_size * self.seq_len

    def total_batches(self, samples_per_epoch: int | None = None) -> int | None:
        """The run's length in batches (None for epochs when the epoch size is unknown)."""
        number, unit = parse_time(self.duration)
        if unit == "ba":
            return int(number)
        if unit == "tok":
            return math.ceil(number / self.tokens_per_batch)
        if unit == "sp":
            return math.ceil(number / self.global_batch_size)
        if samples_per_epoch is None:
            return None
        return int(number * (samples_per_epoch // self.global_batch_size))

    def run_name(self) -> str:
        """Stable per recipe content: restarting the same recipe resumes the same run."""
        stem = self.name or Path(self.origin).stem or "run"
        return f"{stem}-{self.config_hash()[:8]}"

    def config_hash(self) -> str:
        return stable_hash(self.model_dump(mode="json"))

    def project_roots(self) -> tuple[str | None, Path | None]:
        """(artifacts root, project folder) from ``project``, read without starting Spark.

        The artifacts root is a local folder or an object-store URI (``s3://bucket/prefix``)."""
        if not self.project:
            return None, None
        project = Path(self.project)
        raw = read_yaml(project) or {}
        return resolve_path(
            project.parent, str(raw.get("artifacts", "./artifacts"))
        ), project.parent

    def output_dir(self) -> str:
        """``output_root`` or ``<project artifacts>/train`` or ``./artifacts/train`` (a local
        folder or a URI)."""
        from data_pipeline.lakehouse import storage

        if self.output_root:
            return storage.absolute(self.output_root)
        artifacts, _ = self.project_roots()
        return storage.join(artifacts or str(Path("artifacts").resolve()), "train")

    def mlflow_uri(self) -> str:
        uri = self.monitoring.mlflow.tracking_uri
        if uri and "://" in uri:
            return uri
        if uri:
            return Path(uri).resolve().as_uri()
        _, folder = self.project_roots()
        return ((folder.parent if folder else Path.cwd()) / "mlruns").resolve().as_uri()

    def artifact_refs(self) -> dict[str, str]:
        """Fields that still name an artifact or a table (resolved by the flow), by key."""
        refs = {}
        for key in ("shards", "eval_shards"):
            value = getattr(self.data, key)
            if value and value.startswith((ARTIFACT_PREFIX, TABLE_PREFIX)):
                refs[f"data.{key}"] = value
        return refs

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False)
