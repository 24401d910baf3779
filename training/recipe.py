"""Training recipes: the typed ``Recipe`` and its sections (model, data, optimizer, ...).

Contract: pure validation, no file access beyond ``project_roots``. A recipe is built from a
mapping whose relative paths are already resolved; ``training.recipe_files`` loads YAML from
``conf/train/``, applies ``key=value`` overrides and resolves paths before handing it here.
Shard sets named ``artifact:NAME[@VERSION]`` or ``table:NAME[@VERSION]`` stay as references
(``artifact_refs()``) for the flow to pin before training starts, so the training processes
never need Spark. Durations are strings such as ``100ba``, ``2ep``, ``2e9tok`` (``parse_time``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from data_pipeline.lakehouse.config import StrictModel, read_yaml, resolve_path, stable_hash
from data_pipeline.lakehouse.names import ARTIFACT_PREFIX

TABLE_PREFIX = "table:"
DEFAULT_BASE_MODEL = "smollm2-135m-instruct"
_TIME = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*(ba|ep|tok|sp|dur)\s*$")


def parse_time(value: str) -> tuple[float, str]:
    """``"100ba"``, ``"2ep"``, ``"2e9tok"``, ``"0.05dur"`` -> (number, unit)."""
    match = _TIME.match(str(value))
    if not match:
        raise ValueError(
            f"{value!r} is not a duration: use a number and a unit, e.g. 100ba (batches), "
            "2ep (epochs), 2e9tok (tokens), 5000sp (samples) or 0.05dur (share of the run)"
        )
    return float(match.group(1).replace("_", "")), match.group(2)


def _check_time(value: str, units: tuple[str, ...]) -> str:
    number, unit = parse_time(value)
    if unit not in units:
        raise ValueError(f"{value!r}: unit {unit!r} not allowed here; use one of {list(units)}")
    if number < 0:
        raise ValueError(f"{value!r}: must not be negative")
    return str(value).strip()


class ModelSpec(StrictModel):
    """What to train.

    ``source``: a base model name (``smollm2-135m-instruct``, prepared from the installed GGUF)
    or a Hugging Face model folder. ``preset`` (a Llama-family size in ``training.presets``)
    and/or ``config`` (config keys, or a path to a ``config.json``) build a fresh model for
    pretraining from scratch instead. ``tokenizer``: a folder; default the model folder's own,
    else the project's default tokenizer. ``attn_implementation``: ``auto`` = FlashAttention 2
    where installed on a GPU, else PyTorch SDPA. ``pretrain_tokens``: tokens the base model saw in
    its own pretraining (known for the default base: ~2T), used by ``ladder plan``.
    """

    source: str | None = None
    preset: str | None = None
    config: dict[str, Any] | str | None = None
    tokenizer: str | None = None
    attn_implementation: Literal["auto", "sdpa", "flash_attention_2", "eager"] = "auto"
    gradient_checkpointing: bool = False
    pretrain_tokens: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_origin(self) -> ModelSpec:
        if self.source and (self.preset or self.config):
            raise ValueError(
                "give either model.source (a trained model) or preset/config, not both"
            )
        if not self.source and not (self.preset or self.config):
            self.source = DEFAULT_BASE_MODEL
        return self

    @property
    def from_scratch(self) -> bool:
        return not self.source


class DataSpec(StrictModel):
    """Where the token sequences come from (MDS shards from the tokenize stage).

    ``shards``: an MDS folder (one ``index.json``, one sub-folder per stream, or a shard set
    with ``LATEST``) or ``artifact:NAME[@VERSION]``. ``eval_shards`` may also be
    ``table:heldout_docs[@VERSION]``: the flow packs those held-out documents into MDS.
    ``mix``: a mix YAML (``training.mix``: streams, proportions, curriculum phases) used
    instead of plain shards. ``split``/``eval_split``: sub-folder of each
    stream for training / evaluation (evaluation is off when neither ``eval_split`` nor
    ``eval_shards`` is set). ``loss_mask_column``: for SFT, 1 where a token counts in the loss
    (default ``loss_mask`` for ``kind: sft``). Shuffling: streaming's ``py1e`` with
    ``shuffle_seed`` (default: the recipe seed).
    """

    shards: str | None = None
    mix: str | None = None
    split: str | None = None
    eval_shards: str | None = None
    eval_split: str | None = None
    eval_batches: int = Field(default=8, ge=1)
    tokens_column: str = "tokens"
    loss_mask_column: str | None = None
    shuffle: bool = True
    shuffle_algo: Literal["py1e", "py1br", "py1b", "py1s", "py2s", "naive"] = "py1e"
    shuffle_seed: int | None = None
    shuffle_block_size: int | None = Field(default=None, ge=1)
    num_canonical_nodes: int | None = Field(default=None, ge=1)
    num_workers: int = Field(default=0, ge=0)
    pad_token_id: int | None = None
    sample_len: int | None = Field(default=None, ge=1)
    long_samples: Literal["split", "truncate"] = "split"

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if bool(self.shards) == bool(self.mix):
            raise ValueError(
                "give exactly one of data.shards (an MDS folder or artifact) or data.mix"
            )
        return self


class OptimizerSpec(StrictModel):
    """Decoupled AdamW (Composer): weight decay is scaled by lr / initial lr."""

    name: Literal["decoupled_adamw"] = "decoupled_adamw"
    lr: float = Field(default=3e-4, gt=0)
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = Field(default=1e-8, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)
    grad_clip_norm: float | None = Field(default=1.0, gt=0)


class SchedulerSpec(StrictModel):
    """Linear warmup then cosine decay to ``alpha_f`` x lr at the end of the run."""

    name: Literal["cosine_with_warmup"] = "cosine_with_warmup"
    warmup: str = "0.02dur"
    alpha_f: float = Field(default=0.1, ge=0, le=1)

    @field_validator("warmup")
    @classmethod
    def _warmup(cls, value: str) -> str:
        return _check_time(value, ("ba", "dur", "tok", "sp"))


class FsdpSpec(StrictModel):
    """FSDP through Composer's ``parallelism_config``. ``enabled: auto`` = on GPUs, off on CPU."""

    enabled: Literal["auto", "on", "off"] = "auto"
    sharding_strategy: Literal["FULL_SHARD", "SHARD_GRAD_OP", "HYBRID_SHARD", "NO_SHARD"] = (
        "FULL_SHARD"
    )
    mixed_precision: Literal["DEFAULT", "PURE", "FULL"] = "DEFAULT"
    activation_checkpointing: bool = False
    activation_cpu_offload: bool = False
    limit_all_gathers: bool = True
    state_dict_type: Literal["full", "sharded"] = "full"


class LossSpikeSpec(StrictModel):
    """Loss-spike detector: ``patience`` batches in a row above ``multiplier`` x the rolling mean
    of the last ``window`` normal losses. ``action``: log, stop, or rollback (restore weights and
    optimizer from the last checkpoint saved before the spike, then go on with the next data)."""

    enabled: bool = True
    window: int = Field(default=100, ge=2)
    multiplier: float = Field(default=2.0, gt=1)
    patience: int = Field(default=4, ge=1)
    action: Literal["log", "stop", "rollback"] = "log"
    max_rollbacks: int = Field(default=3, ge=0)


class MlflowSpec(StrictModel):
    """MLflow tracking (Composer's MLFlowLogger); default a file store ``<project>/mlruns``."""

    enabled: bool = True
    tracking_uri: str | None = None
    experiment: str = "ladder-train"
    register_model: str | None = None


class MonitoringSpec(StrictModel):
    """Metrics and guards. ``nan``: raise (stop with an error) or rollback (as loss spikes)."""

    mlflow: MlflowSpec = Field(default_factory=MlflowSpec)
    progress_bar: bool = True
    speed_window: int = Field(default=10, ge=1)
    nan: Literal["raise", "rollback", "off"] = "raise"
    loss_spike: LossSpikeSpec = Field(default_factory=LossSpikeSpec)
    sample_ledger: bool = False
    gpu_flops_available: float | None = Field(default=None, gt=0)


class ExportSpec(StrictModel):
    """The final Hugging Face model (``save_pretrained``, safetensors)."""

    hf_model: bool = True
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"


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
        return _check_time(value, ("ba", "ep", "tok", "sp"))

    @field_validator("eval_interval", "save_interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        return _check_time(value, ("ba", "ep"))

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
