"""``ladder plan``: what a recipe will cost before anything launches.

- parameters (active parameters for mixture-of-experts configs), from the config alone;
- tokens = batches x global batch x sequence length (durations in epochs need the shard index);
- training FLOPs = 6 x (active) parameters x tokens;
- Chinchilla-optimal tokens = 20 x parameters;
- for continued pretraining, the tokens as a share of the base model's pretraining tokens
  (SmolLM2-135M: ~2T per its model card; ``model.pretrain_tokens`` for others);
- GPU-hours = FLOPs / (peak dense bf16 FLOP/s x MFU) / 3600, and cost = GPU-hours x price.

Peak FLOP/s per GPU type come from Composer's table (``GPU_AVAILABLE_FLOPS``, dense bf16).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from training.recipe import Recipe

CHINCHILLA_TOKENS_PER_PARAM = 20
_GPU_ALIASES = {"h100": "h100-sxm", "h200": "h200-sxm", "v100": "v100-sxm"}


def gpu_peak_flops(gpu: str) -> float:
    """Dense bf16 peak FLOP/s of one GPU (``h100``, ``h200``, ``a100``, ``a10``, ...)."""
    from training.quick_count import gpu_peak_table

    GPU_AVAILABLE_FLOPS = gpu_peak_table()
    key = _GPU_ALIASES.get(gpu.lower(), gpu.lower())
    if key not in GPU_AVAILABLE_FLOPS or "amp_bf16" not in GPU_AVAILABLE_FLOPS[key]:
        known = sorted({*GPU_AVAILABLE_FLOPS, *_GPU_ALIASES} - {"trn1"})
        raise ValueError(f"unknown GPU type {gpu!r}; known: {known}")
    return float(GPU_AVAILABLE_FLOPS[key]["amp_bf16"])


@dataclass(frozen=True)
class Plan:
    """The figures ``ladder plan`` prints (FLOPs in FLOP, time in GPU-hours, cost in $)."""

    recipe: str
    kind: str
    parameters: int
    active_parameters: int
    batches: int
    tokens: int
    flops: float
    chinchilla_tokens: int
    pretrain_tokens: float | None
    pretrain_share: float | None
    gpu: str
    gpu_peak_flops: float
    mfu: float
    gpu_hours: float
    price_per_gpu_hour: float
    cost: float

    def as_dict(self) -> dict:
        return asdict(self)


def make_plan(
    recipe: Recipe,
    gpu: str = "h100",
    mfu: float = 0.4,
    price: float = 2.5,
    samples_per_epoch: int | None = None,
) -> Plan:
    """Compute the plan of ``recipe`` (no weights are loaded, nothing is converted)."""
    from training.base_model import known_pretrain_tokens
    from training.quick_count import config_keys, dense_parameters, index_samples

    if not 0 < mfu <= 1:
        raise ValueError(f"--mfu must be in (0, 1], got {mfu}")
    if samples_per_epoch is None and recipe.data.shards and not recipe.artifact_refs():
        try:
            samples_per_epoch = index_samples(recipe.data.shards, recipe.data.split)
        except FileNotFoundError:
            samples_per_epoch = None
    batches = recipe.total_batches(samples_per_epoch)
    if batches is None:
        raise ValueError(
            f"{recipe.origin}: duration {recipe.duration} is in epochs and the shard index is "
            "not readable here; give the duration in tokens or batches"
        )
    from training.paths import package_models_root

    artifacts_root = package_models_root(recipe.project_roots()[0])
    keys = config_keys(recipe.model, artifacts_root)
    params = dense_parameters(keys) if keys is not None else None
    if params is None:  # another architecture: instantiate it on the meta device (torch)
        from training.flops import count_parameters
        from training.model import model_config

        params = count_parameters(model_config(recipe.model, artifacts_root, convert=False))
    tokens = batches * recipe.tokens_per_batch
    flops = 6.0 * params.active * tokens
    peak = gpu_peak_flops(gpu)
    gpu_hours = flops / (peak * mfu) / 3600.0
    pretrain = None
    if recipe.kind != "pretrain":
        pretrain = recipe.model.pretrain_tokens or known_pretrain_tokens(recipe.model.source)
    return Plan(
        recipe=recipe.name or recipe.origin,
        kind=recipe.kind,
        parameters=params.total,
        active_parameters=params.active,
        batches=batches,
        tokens=tokens,
        flops=flops,
        chinchilla_tokens=CHINCHILLA_TOKENS_PER_PARAM * params.active,
        pretrain_tokens=pretrain,
        pretrain_share=tokens / pretrain if pretrain else None,
        gpu=gpu,
        gpu_peak_flops=peak,
        mfu=mfu,
        gpu_hours=gpu_hours,
        price_per_gpu_hour=price,
        cost=gpu_hours * price,
    )


def _si(value: float) -> str:
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"


def format_plan(plan: Plan) -> str:
    """Human-readable lines of a plan."""
    active = (
        f"  ({_si(plan.active_parameters)} active per token)"
        if plan.active_parameters != plan.parameters
        else ""
    )
    lines = [
        f"recipe            {plan.recipe} ({plan.kind})",
        f"parameters        {plan.parameters:,} ({_si(plan.parameters)}){active}",
        f"tokens            {plan.tokens:,} ({_si(plan.tokens)}) in {plan.batches:,} batches",
        f"training FLOPs    {plan.flops:.3e}  (6 x {_si(plan.active_parameters)} params x "
        f"{_si(plan.tokens)} tokens)",
        f"Chinchilla tokens {plan.chinchilla_tokens:,} ({_si(plan.chinchilla_tokens)}, 20/param); "
        f"this run is {plan.tokens / plan.chinchilla_tokens:.3g}x that",
    ]
    if plan.pretrain_share is not None:
        lines.append(
            f"base pretraining  {_si(plan.pretrain_tokens or 0)} tokens; this run adds "
            f"{100 * plan.pretrain_share:.4g}% of that"
        )
    lines += [
        f"GPU               {plan.gpu}: {plan.gpu_peak_flops / 1e12:.4g} TFLOP/s peak bf16 at "
        f"{100 * plan.mfu:.0f}% MFU",
        f"GPU-hours         {plan.gpu_hours:,.4g}",
        f"cost              ${plan.cost:,.2f} at ${plan.price_per_gpu_hour:g}/GPU-hour"
        if plan.cost >= 0.01
        else f"cost              ${plan.cost:.3g} at ${plan.price_per_gpu_hour:g}/GPU-hour",
    ]
    return "\n".join(lines)
