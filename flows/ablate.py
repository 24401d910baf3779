"""The ablate flow: variants of the data pipeline judged by proxy models on a fixed evaluation.

1. each variant's stage chain (a Prefect task per stage; the stage cache runs shared stages once);
2. the token-budget rule (``training.ablation``): a variant with too little data is refused;
3. one held-out set for all variants (``ablation_heldout``);
4. per variant, as a Prefect task (at most ``concurrency`` at a time): a proxy per seed, trained
   on exactly the budget, then scored (tasks per item, bits per byte per document);
5. the verdict: ranked table with intervals, ``ablation_results`` rows, chart (artifacts).

A variant that fails or is refused is reported with a one-line reason; the others go on.
``ablate_plain`` is the same without Prefect (``--no-prefect``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from data_pipeline.lakehouse.names import RunId
from training.ablation import AblationConfig, BudgetError, budget_batches, check_budget

VariantRunner = Callable[..., list[dict[str, Any]]]


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"[:300]


def run_variant(cfg: AblationConfig, prepared: dict, batches: int, docs: list, specs: list):
    """Train and score every seed of one variant; one record per seed."""
    from data_pipeline.lakehouse.tables import open_lakehouse
    from data_pipeline.project import load_project
    from evaluation.ablation import score_proxy
    from evaluation.config import load_eval_config
    from training.ablation_steps import train_proxy

    project = load_project(cfg.project)
    lakehouse, eval_cfg = open_lakehouse(project), load_eval_config(cfg.eval.config)
    records = []
    for seed in cfg.proxy.seed_list():
        trained = train_proxy(cfg, prepared, seed, batches)
        scores = score_proxy(trained["model"], lakehouse, project.artifacts, eval_cfg, specs,
                             cfg.eval.limit, docs)  # fmt: skip
        records.append({**trained, "scores": scores})
    return records


def run_ablation(
    config: str, run_id: str, stage_runner, variants_runner: Callable[..., dict]
) -> dict[str, Any]:
    """The steps shared by the flow and ``--no-prefect``; ``variants_runner(cfg, todo, batches,
    docs, specs)`` returns ``{variant: records or an exception}``."""
    from data_pipeline.lakehouse.tables import open_lakehouse
    from data_pipeline.project import load_project
    from evaluation.ablation import verdict
    from evaluation.ablation_results import (
        result_rows,
        verdict_chart,
        verdict_text,
        write_ablation_results,
    )
    from evaluation.bootstrap import Bootstrap
    from evaluation.config import load_eval_config
    from evaluation.perplexity import sample_heldout
    from evaluation.specs import load_gauntlet
    from flows.ablate_data import chain_of, prepare_variant
    from training.ablation import load_ablation, variant_stages
    from training.ablation_steps import eval_heldout
    from training.recipe_files import load_recipe

    started = dt.datetime.now(dt.UTC)
    cfg = load_ablation(config)
    recipe = load_recipe(cfg.proxy.recipe)
    batches = budget_batches(cfg.proxy.tokens, recipe.tokens_per_batch)
    budget = batches * recipe.tokens_per_batch
    eval_cfg = load_eval_config(cfg.eval.config)
    specs = load_gauntlet(eval_cfg.gauntlet).select(cfg.eval.tasks) if cfg.eval.tasks else []
    for variant in cfg.variants:  # every variant's settings checked before any stage runs
        load_project(cfg.project, {"stages": variant_stages(cfg, variant, chain_of(cfg))})
    data: dict[str, dict[str, Any]] = {}
    for variant in cfg.variants:
        try:
            data[variant.name] = prepare_variant(cfg, variant, f"{run_id}-{variant.name}",
                                                 stage_runner)  # fmt: skip
            check_budget(variant.name, data[variant.name]["tokens"], budget)
        except BudgetError as err:
            data[variant.name].update(status="refused", error=str(err))
        except Exception as err:
            data[variant.name] = {"variant": variant.name, "status": "failed",
                                  "error": f"data: {_one_line(err)}"}  # fmt: skip
        if data[variant.name].get("error"):
            print(f"variant {variant.name}: {data[variant.name]['error']}")
    ready = [d for d in data.values() if d["status"] == "prepared"]
    if not ready:
        raise RuntimeError("no variant has data for the budget: " + "; ".join(
            d["error"] for d in data.values()))  # fmt: skip
    project = load_project(cfg.project)
    lakehouse = open_lakehouse(project)
    reference = cfg.reference if data[cfg.reference] in ready else ready[0]["variant"]
    heldout = eval_heldout(lakehouse, ready, reference, run_id)
    name, version = heldout.split("@")
    pcfg = eval_cfg.perplexity.model_copy(
        update={"table": name, "version": int(version), "max_docs": cfg.eval.max_docs}
    )
    _, docs = sample_heldout(lakehouse, pcfg)
    results = variants_runner(cfg, ready, batches, docs, specs)
    scored = {}
    for variant, outcome in results.items():
        if isinstance(outcome, BaseException):
            data[variant].update(status="failed", error=f"proxy: {_one_line(outcome)}")
            print(f"variant {variant}: {data[variant]['error']}")
            continue
        scored[variant] = outcome
        data[variant].update(status="scored", models=[r["model"] for r in outcome])
    if not scored:
        raise RuntimeError("every variant failed: " + "; ".join(
            f"{v}: {d.get('error')}" for v, d in data.items()))  # fmt: skip
    boot = Bootstrap(cfg.eval.bootstrap_samples, cfg.eval.confidence)
    ranked = verdict(scored, boot, cfg)
    text = verdict_text(ranked, data, cfg.eval.confidence)
    seeds = len(cfg.proxy.seed_list())
    rows = result_rows(cfg.name, run_id, ranked, data, heldout, seeds)
    inputs = _lineage_inputs(data, heldout)
    written = write_ablation_results(lakehouse, cfg.results_table, rows, run_id,
                                     {"ablation": cfg.model_dump(mode="json"),
                                      "budget_tokens": budget}, inputs, started)  # fmt: skip
    chart = _chart_path(project.artifacts, cfg.name, run_id)
    verdict_chart(ranked, chart, f"ablation {cfg.name}: {budget:,} tokens, {seeds} seed(s)")
    return {"run_id": run_id, "table": text, "results": str(written), "chart": str(chart),
            "budget_tokens": budget, "batches": batches, "reference": reference,
            "heldout": heldout, "variants": data,
            "ranking": [f.variant for f in ranked]}  # fmt: skip


def _lineage_inputs(data: dict[str, dict], heldout: str) -> list:
    from data_pipeline.lakehouse.tables import TableVersion, stored_ref

    refs = [heldout]
    for d in data.values():
        refs += [d[k] for k in ("docs_table", "shards") if d.get(k)] + d.get("models", [])
    parsed = [TableVersion.parse(r) for r in dict.fromkeys(refs)]
    return [stored_ref(name, version) for name, version in parsed if version is not None]


def _chart_path(artifacts: str, name: str, run_id: str):
    from data_pipeline.lakehouse import storage
    from training.paths import local_mirror

    return local_mirror(storage.join(artifacts, "ablate", name, run_id)) / "ablation.png"


def _plain_stage(config, stage, run_id, inputs, overrides) -> dict[str, Any]:
    from data_pipeline.project import load_project
    from flows import terminal
    from flows.stage_inputs import run_stage_with_inputs
    from flows.stage_tasks import result_dict

    label = f"{run_id.rsplit('-', 1)[-1]}/{stage}"
    result = run_stage_with_inputs(
        load_project(config, overrides),
        stage,
        run_id=run_id,
        inputs=inputs,
        progress=lambda m, f: terminal.report(label, m, f),
    )
    out = result_dict(stage, result)
    terminal.done(label, terminal.stage_summary(out))
    return out


def _plain_variants(cfg, ready, batches, docs, specs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for prepared in ready:
        try:
            out[prepared["variant"]] = run_variant(cfg, prepared, batches, docs, specs)
        except Exception as err:  # one variant's failure never loses the others
            out[prepared["variant"]] = err
    return out


def ablate_plain(config: str = "conf/ablate/demo.yaml", run_id: str | None = None):
    """``ablate`` without Prefect: the same steps in this process."""
    from data_pipeline.runner import new_run_id

    return run_ablation(config, run_id or new_run_id(), _plain_stage, _plain_variants)


@task(name="ablate-variant", task_run_name="variant-{prepared[variant]}", cache_policy=NO_CACHE)
def variant_task(cfg, prepared: dict, batches: int, docs: list, specs: list):
    return run_variant(cfg, prepared, batches, docs, specs)


def _prefect_stage(config, stage, run_id, inputs, overrides) -> dict[str, Any]:
    from data_pipeline.project import load_project
    from flows.stage_tasks import stage_task

    timeout = load_project(config).orchestration.timeout_for(stage)
    return stage_task.with_options(timeout_seconds=timeout)(
        config, stage, run_id, inputs=inputs, overrides=overrides
    )


def _prefect_variants(cfg, ready, batches, docs, specs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for start in range(0, len(ready), cfg.concurrency):  # at most `concurrency` at a time
        wave = [(p["variant"], variant_task.submit(cfg, p, batches, docs, specs))
                for p in ready[start : start + cfg.concurrency]]  # fmt: skip
        for name, future in wave:
            try:
                out[name] = future.result()
            except Exception as err:
                out[name] = err
    return out


@flow(name="ablate", log_prints=True)
def ablate(config: str = "conf/ablate/demo.yaml", run_id: RunId | None = None) -> dict[str, Any]:
    """Run a data ablation (``conf/ablate/*.yaml``) and publish its table and chart."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact

    from data_pipeline.runner import new_run_id

    out = run_ablation(config, run_id or new_run_id(), _prefect_stage, _prefect_variants)
    create_markdown_artifact(
        key="ladder-ablate",
        markdown=f"# Ablation `{out['run_id']}`\n\n```\n{out['table']}\n```\n\n"
        f"Rows in `{out['results']}`; chart `{out['chart']}`.",
        description=f"ablation {config}",
    )
    create_link_artifact(
        key="ladder-ablate-chart", link=f"file://{out['chart']}", link_text="ablation chart"
    )
    print(out["table"])
    return out
