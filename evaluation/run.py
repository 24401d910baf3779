"""One evaluation of one model: gauntlet, domain perplexity, golden set, latency; then results.

``evaluate_model`` is what the flow and the CLI call. It loads the model once, scores the
selected tasks (``limit`` items each, or each task's ``max_items``), measures bits per byte on
the held-out split, optionally the golden set and latency, appends everything to
``eval_results`` (recorded in ``runs`` with the model artifact as input) and logs MLflow metrics.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from data_pipeline.lakehouse.artifacts import ArtifactRegistry
from data_pipeline.lakehouse.tables import Lakehouse, Ref, TableVersion
from evaluation.backend import make_backend
from evaluation.config import EvalConfig
from evaluation.contamination import ContaminationScan, contamination_rows
from evaluation.engine import PackedScorer
from evaluation.gauntlet import GauntletReport, summarize
from evaluation.harness import evaluate_task
from evaluation.models import ModelRef, load_model, resolve_model
from evaluation.perplexity import DomainResult, domain_perplexity, sample_heldout
from evaluation.results import ResultRow, config_json, gauntlet_rows, write_results
from evaluation.specs import load_gauntlet

log = logging.getLogger(__name__)
Report = Callable[[str, float | None], None]


@dataclass
class ModelEvaluation:
    """Everything measured for one model in one run."""

    model: ModelRef
    report: GauntletReport | None
    domain: list[DomainResult] = field(default_factory=list)
    rows: list[ResultRow] = field(default_factory=list)
    inputs: list[Ref] = field(default_factory=list)
    results_version: TableVersion | None = None
    mlflow_run_id: str | None = None

    def row_dicts(self) -> list[dict]:
        return [r.__dict__ for r in self.rows]


def domain_rows(model: str, results: list[DomainResult]) -> list[ResultRow]:
    rows = []
    for d in results:
        task = f"domain/{d.group}"
        rows.append(ResultRow(model, task, "bits_per_byte", d.bits_per_byte, d.docs, d.stderr,
                              "domain"))  # fmt: skip
        rows.append(ResultRow(model, task, "token_perplexity", d.token_perplexity, d.tokens,
                              None, "domain"))  # fmt: skip
    return rows


def evaluate_model(
    cfg: EvalConfig,
    model_ref: str,
    lakehouse: Lakehouse,
    artifacts_root: str,
    *,
    run_id: str,
    tasks: list[str] | None = None,
    limit: int | None = None,
    perplexity: bool = True,
    golden: bool = False,
    latency: bool = False,
    progress: Report | None = None,
    contamination: ContaminationScan | None = None,
) -> ModelEvaluation:
    """Evaluate ``model_ref`` and append its rows to ``cfg.results_table``; ``contamination``
    finds evaluated items in the model's training data (no contamination rows without it)."""
    report_fn = progress or (lambda message, fraction: log.info("%s", message))
    started = dt.datetime.now(dt.UTC)
    registry = ArtifactRegistry(lakehouse)
    model = resolve_model(model_ref, artifacts_root, registry)
    report_fn(f"{model.artifact_id}: loading {model.path}", 0.0)
    hf_model, tokenizer = load_model(model.path, cfg.engine.dtype, cfg.engine.threads)
    gauntlet = load_gauntlet(cfg.gauntlet)
    specs = gauntlet.select(tasks) if tasks != [] else []
    current: dict[str, Any] = {"i": 0, "name": "", "at": 0.0}

    def batches_done(done: int, total: int) -> None:  # one report per few seconds, not per batch
        now = time.monotonic()
        if now - current["at"] >= 3.0:
            current["at"] = now
            fraction = (current["i"] + done / max(1, total)) / max(1, len(specs))
            report_fn(f"{model.artifact_id}: {current['name']} {done}/{total}", fraction)

    lm = make_backend(
        hf_model, tokenizer, cfg.engine.kind, cfg.engine.batch_tokens, cfg.engine.batch_size,
        show_progress=False, progress=batches_done,
        max_gen_toks=cfg.engine.max_gen_toks_limited if limit is not None else None,
    )  # fmt: skip
    results = []
    for i, spec in enumerate(specs):
        current.update(i=i, name=f"{spec.name} ({i + 1}/{len(specs)})")
        report_fn(f"{model.artifact_id}: {current['name']}", i / max(1, len(specs)))
        result = evaluate_task(spec, lm, limit)
        results.append(result)
        report_fn(
            f"{model.artifact_id}: {spec.name} {result.metric}={result.value:.4f} "
            f"(n={result.n}, {result.seconds:.0f}s, {result.n / max(result.seconds, 1e-9):.2f} "
            "items/s)",
            (i + 1) / max(1, len(specs)),
        )
    evaluation = ModelEvaluation(model, None)
    if model.ref is not None:
        evaluation.inputs.append(model.ref)
    if results:
        evaluation.report = summarize(results, gauntlet.composite_categories)
        evaluation.rows += gauntlet_rows(model.artifact_id, evaluation.report)
        evaluation.rows += contamination_rows(
            lakehouse, model.artifact_id, model.ref, specs, results, limit, contamination
        )
    scorer = PackedScorer(hf_model, tokenizer, batch_tokens=cfg.engine.batch_tokens)
    if perplexity and cfg.perplexity.enabled:
        heldout, docs = sample_heldout(lakehouse, cfg.perplexity, limit)
        evaluation.inputs.append(heldout)
        evaluation.domain = domain_perplexity(scorer, docs, cfg.perplexity.window)
        evaluation.rows += domain_rows(model.artifact_id, evaluation.domain)
        report_fn(f"{model.artifact_id}: domain bits per byte on {heldout}", None)
    if golden and cfg.golden is not None and cfg.golden.enabled:
        from evaluation.golden import golden_rows

        evaluation.rows += golden_rows(cfg, model.artifact_id, scorer, limit, artifacts_root)
        report_fn(f"{model.artifact_id}: golden set scored", None)
    if latency and cfg.latency is not None and cfg.latency.enabled:
        from evaluation.latency import latency_rows

        evaluation.rows += latency_rows(cfg.latency, model.artifact_id, hf_model, tokenizer)
        report_fn(f"{model.artifact_id}: latency measured", None)
    evaluation.results_version = write_results(
        lakehouse,
        evaluation.rows,
        run_id=run_id,
        model_slug=model.slug,
        config_json=config_json(cfg, [s.name for s in specs], limit),
        config_hash=cfg.config_hash(),
        inputs=evaluation.inputs,
        table=cfg.results_table,
        counts={"tasks": len(results), "items": sum(r.n for r in results)},
        started_at=started,
    )
    if cfg.mlflow.enabled:
        from evaluation.tracking import log_to_mlflow

        evaluation.mlflow_run_id = log_to_mlflow(
            model, evaluation.row_dicts(), cfg.mlflow.tracking_uri, cfg.mlflow.experiment, run_id
        )
    return evaluation
