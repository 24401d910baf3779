"""Typed evaluation config (``conf/eval/eval.yaml``): what an evaluation run measures and where.

Relative paths resolve against the folder of the YAML file. Sections: ``engine`` (scoring
batches), ``perplexity`` (domain evaluation on the held-out split), ``golden`` + ``judge``
(SFT golden sets), ``latency`` (generation speed and cost), ``mlflow``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from data_pipeline.lakehouse.config import StrictModel, load_model, resolve_path, stable_hash


class EngineConfig(StrictModel):
    """``packed`` (ladder's scorer) or ``harness`` (lm-eval's HFLM). Tokens per forward pass:
    4096; generation batch: 8; torch threads: all cores when null; float32 by default.
    ``max_gen_toks_limited``: generated tokens per item at most, in runs with ``--limit``
    (quick looks such as the demo; null: each task's own ``max_gen_toks``)."""

    kind: Literal["packed", "harness"] = "packed"
    batch_tokens: int = Field(default=4096, ge=64)
    batch_size: int = Field(default=8, ge=1)
    threads: int | None = Field(default=None, ge=1)
    dtype: Literal["float32", "bfloat16"] = "float32"
    max_gen_toks_limited: int | None = Field(default=None, ge=1)


class PerplexityConfig(StrictModel):
    """Domain bits per byte on ``table`` (``version`` pinned, latest when null), per group.

    Up to ``max_docs`` documents per group (the same ones every run: smallest doc_id hash),
    each cut to ``max_doc_chars`` characters; windows of ``window`` tokens. A document whose
    ``lang`` column is null (no language-ID stage before tokenize) takes its language from the
    first ``lang_metadata`` key of its ``metadata`` that is set (default ``lang``, then the
    source's declared ``lang_hint``).
    """

    enabled: bool = True
    table: str = "heldout_docs"
    version: int | None = None
    group_by: list[str] = Field(default_factory=lambda: ["source", "lang"])
    lang_metadata: list[str] = Field(default_factory=lambda: ["lang", "lang_hint"])
    max_docs: int = Field(default=40, ge=1)
    max_doc_chars: int = Field(default=2000, ge=100)
    window: int = Field(default=1024, ge=16)


class JudgeConfig(StrictModel):
    """The LLM judge: a local HF model folder (or known base name) or an OpenAI-compatible
    endpoint. The API key comes from ``api_key_env`` or the Prefect Secret ``api_key_secret``;
    it is never logged. The prompt template gets {query}, {expected}, {response}, {rubric}."""

    kind: Literal["local", "openai"] = "local"
    model: str = "smollm2-135m-instruct"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    api_key_secret: str | None = None
    prompt: str
    rubric: str
    max_new_tokens: int = Field(default=4, ge=1)
    timeout_s: float = 60.0


class GoldenConfig(StrictModel):
    """A JSONL golden set (``query``, ``expected``) answered with the chat template."""

    enabled: bool = True
    path: str
    max_new_tokens: int = Field(default=48, ge=1)
    system_prompt: str | None = None


class LatencyConfig(StrictModel):
    """Generation latency on fixed prompts; cost from ``price_per_hour_usd`` of the hardware."""

    enabled: bool = True
    prompts: list[str]
    batch_size: int = Field(default=4, ge=1)
    max_new_tokens: int = Field(default=32, ge=1)
    repeats: int = Field(default=2, ge=1)
    hardware: str = "2-core CPU VM"
    price_per_hour_usd: float = Field(default=0.10, ge=0)


class MlflowConfig(StrictModel):
    enabled: bool = True
    tracking_uri: str = "../../mlruns"
    experiment: str = "ladder-eval"


class EvalConfig(StrictModel):
    """An evaluation run's settings; ``project`` names the pipeline YAML (for the lakehouse)."""

    project: str = "../pipeline.yaml"
    gauntlet: str = "gauntlet.yaml"
    results_table: str = "eval_results"
    engine: EngineConfig = Field(default_factory=EngineConfig)
    perplexity: PerplexityConfig = Field(default_factory=PerplexityConfig)
    golden: GoldenConfig | None = None
    judge: JudgeConfig | None = None
    latency: LatencyConfig | None = None
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig)
    origin: str = Field(default="<memory>", exclude=True)

    def config_hash(self) -> str:
        return stable_hash(self.model_dump(mode="json"))


def load_eval_config(path: str | Path) -> EvalConfig:
    """Load ``conf/eval/eval.yaml``; its relative paths become absolute."""
    path = Path(path).resolve()
    cfg = load_model(EvalConfig, path)
    base = path.parent
    cfg.project = resolve_path(base, cfg.project)
    cfg.gauntlet = resolve_path(base, cfg.gauntlet)
    if "://" not in cfg.mlflow.tracking_uri:
        cfg.mlflow.tracking_uri = Path(resolve_path(base, cfg.mlflow.tracking_uri)).as_uri()
    if cfg.golden is not None:
        cfg.golden.path = resolve_path(base, cfg.golden.path)
    cfg.origin = str(path)
    return cfg
