"""The sections of a training recipe (model, data, optimizer, schedule, FSDP, monitoring,
export) and the duration strings they use (``100ba``, ``2ep``, ``2e9tok``, ``5000sp``,
``0.05dur``: ``parse_time``). Pure validation; ``training.recipe.Recipe`` assembles them.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from data_pipeline.lakehouse.config import StrictModel

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


def check_time(value: str, units: tuple[str, ...]) -> str:
    """``value`` stripped, if it is a non-negative duration in one of ``units``."""
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
        return check_time(value, ("ba", "dur", "tok", "sp"))


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
