"""GPU throughput of ladder's trainer: tokens/s and MFU of a ~1.2B Llama-style model.

``llama-1b`` preset (hidden 2048, 22 layers, 32 heads / 4 KV heads, vocabulary 49,152, untied
output), sequences of 2048 tokens from synthetic MDS shards, bf16 autocast, FSDP (FULL_SHARD,
one GPU) through Composer's ``parallelism_config``, PyTorch SDPA (FlashAttention 2 when the
``flash_attn`` package is installed). Time per step is read at Composer's BATCH_END after
``--warmup`` steps; MFU = model FLOPs per step (``training.flops``: 6 x matmul parameters +
attention, per token) / step time / the GPU's dense bf16 peak (Composer's table).
``--smoke`` runs the same code on CPU with a tiny model (a check of the script, no figure).

    bash bench/gpu_train.sh                 # the full run, a few minutes on an H100/H200
    .venv/bin/python bench/gpu_train.py --smoke
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402


def write_shards(folder: Path, samples: int, seq: int, vocab: int) -> None:
    from streaming import MDSWriter

    rng = np.random.default_rng(0)
    with MDSWriter(out=str(folder), columns={"tokens": "ndarray:uint16"}) as writer:
        for _ in range(samples):
            writer.write({"tokens": rng.integers(0, vocab, seq, dtype=np.uint16)})


def gpu_name() -> str:
    return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"


def peak_flops() -> float | None:
    from training.plan import gpu_peak_flops

    name = gpu_name().lower()
    for key in ("h200", "h100", "a100", "a10"):
        if key in name:
            return gpu_peak_flops(key)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="llama-1b")
    parser.add_argument("--seq", type=int, default=2048)
    parser.add_argument("--global-batch", type=int, default=64, help="sequences per step")
    parser.add_argument("--micro", type=int, default=8, help="sequences per microbatch")
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=8, help="untimed steps")
    parser.add_argument("--mixed-precision", default="DEFAULT", choices=["DEFAULT", "PURE"])
    parser.add_argument("--activation-checkpointing", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny CPU run to check the script")
    parser.add_argument("--out", default=os.environ.get("OUT", str(REPO / "bench" / "out")))
    args = parser.parse_args()
    if args.smoke:
        args.preset, args.seq, args.global_batch, args.micro = "llama-tiny", 64, 4, 2
        args.steps, args.warmup = 3, 1

    from composer.core import Callback

    from training.recipe_files import recipe_from_dict
    from training.trainer import build_trainer, run_paths

    class Clock(Callback):
        def __init__(self):
            self.stamps: list[float] = []
            self.flops: list[float] = []

        def batch_end(self, state, logger):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.stamps.append(time.perf_counter())
            model = getattr(state.model, "flops_per_batch", None)
            self.flops.append(float(model(state.batch)) if model else 0.0)

    work = Path(tempfile.mkdtemp(prefix="ladder-gpu-bench-"))
    total = args.warmup + args.steps
    vocab = 512 if args.smoke else 49152
    write_shards(work / "shards", args.global_batch * (total + 1), args.seq, vocab)
    raw = {
        "kind": "pretrain",
        "name": "gpu-bench",
        "output_root": str(work / "runs"),
        "model": {"preset": args.preset, "config": {"max_position_embeddings": args.seq}},
        "data": {"shards": str(work / "shards"), "num_workers": 0 if args.smoke else 4},
        "seq_len": args.seq,
        "global_batch_size": args.global_batch,
        "microbatch_size": args.micro,
        "duration": f"{total}ba",
        "optimizer": {"lr": 3e-4},
        "scheduler": {"warmup": "2ba"},
        "precision": "fp32" if args.smoke else "amp_bf16",
        "fsdp": {
            "enabled": "off" if args.smoke else "on",
            "mixed_precision": args.mixed_precision,
            "activation_checkpointing": args.activation_checkpointing,
        },
        "save_interval": f"{total * 10}ba",
        "save_num_checkpoints_to_keep": 0,
        "monitoring": {"progress_bar": False, "mlflow": {"enabled": False}},
        "export": {"hf_model": False},
    }
    recipe = recipe_from_dict(raw, "gpu-bench")
    clock = Clock()
    start = time.perf_counter()
    trainer, context = build_trainer(recipe, recipe.run_name(), run_paths(recipe), [clock])
    built = time.perf_counter() - start
    trainer.fit()
    trainer.close()
    steps = [
        b - a
        for a, b in zip(
            clock.stamps[args.warmup - 1 : -1], clock.stamps[args.warmup :], strict=True
        )
    ]
    step_s = statistics.median(steps)
    tokens_s = args.global_batch * args.seq / step_s
    flops_step = statistics.median(clock.flops[args.warmup :])
    peak = peak_flops()
    result = {
        "device": gpu_name(),
        "preset": args.preset,
        "parameters": context["parameters"],
        "seq_len": args.seq,
        "global_batch": args.global_batch,
        "microbatch": args.micro,
        "precision": recipe.precision,
        "fsdp": recipe.fsdp.model_dump(),
        "attention": recipe.model.attn_implementation,
        "step_seconds_median": round(step_s, 4),
        "tokens_per_second": round(tokens_s, 1),
        "model_flops_per_step": flops_step,
        "peak_flops": peak,
        "mfu": round(flops_step / step_s / peak, 4) if peak else None,
        "max_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)
        if torch.cuda.is_available()
        else None,
        "build_seconds": round(built, 1),
        "smoke": args.smoke,
    }
    shutil.rmtree(work, ignore_errors=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_train.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
