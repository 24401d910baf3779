"""Composer + Streaming (ladder's trainer) vs a plain PyTorch loop: time per training step.

Same model (a small Llama from ``training.presets`` built with the same seed), same token
sequences, same batch, AdamW + warmup/cosine + gradient clipping in both, one process, 2 torch
threads. ladder's side is ``training.trainer.build_trainer`` exactly as ``ladder train`` runs
it: MDS shards through ``StreamingDataset``, its collator, Composer's loop, SpeedMonitor,
LRMonitor, loss history, NaN guard, loss-spike detector and MLflow logging to a local file
store (checkpointing and evaluation are outside the measured window). The plain loop iterates
over the same sequences already stacked in memory.

Rounds alternate (plain, ladder, plain, ladder, ...) so machine noise hits both; each round
times steady-state steps (after ``--warmup`` steps) and the figure is the ratio of medians.

    .venv/bin/python bench/train_overhead.py [--steps 60 --rounds 3 --hidden 256 --layers 4]
"""

from __future__ import annotations

import argparse
import json
import math
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


def model_keys(args) -> dict:
    return {
        "hidden_size": args.hidden,
        "intermediate_size": args.hidden * 8 // 3,
        "num_hidden_layers": args.layers,
        "num_attention_heads": max(1, args.hidden // 64),
        "num_key_value_heads": max(1, args.hidden // 64),
        "vocab_size": args.vocab,
        "max_position_embeddings": args.seq,
    }


def write_shards(folder: Path, samples: int, seq: int, vocab: int) -> np.ndarray:
    from streaming import MDSWriter

    rng = np.random.default_rng(0)
    tokens = rng.integers(0, vocab, (samples, seq), dtype=np.int32)
    with MDSWriter(out=str(folder), columns={"tokens": "ndarray:int32"}) as writer:
        for row in tokens:
            writer.write({"tokens": row})
    return tokens


def plain_loop(args, tokens: np.ndarray) -> list[float]:
    """The baseline: a hand-written loop over in-memory tensors; seconds per step."""
    from transformers import AutoConfig, AutoModelForCausalLM

    from training.presets import preset_config

    torch.manual_seed(17)
    keys = preset_config(None, model_keys(args))
    model = AutoModelForCausalLM.from_config(
        AutoConfig.for_model(keys.pop("model_type"), **keys), attn_implementation="sdpa"
    )
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    total = args.warmup + args.steps
    warm = max(1, total // 20)

    def lr_lambda(step: int) -> float:
        if step < warm:
            return step / warm
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    data = torch.from_numpy(tokens.astype(np.int64))
    times = []
    for step in range(total):
        start = time.perf_counter()
        lo = (step * args.batch) % (len(data) - args.batch)
        batch = data[lo : lo + args.batch]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        _ = loss.item()  # the loop logs its loss, as Composer does
        times.append(time.perf_counter() - start)
    return times[args.warmup :]


def ladder_trainer(args, shards: Path, out: Path) -> list[float]:
    """ladder's Composer trainer on MDS shards; seconds per step from a BATCH_END clock."""
    from composer.core import Callback

    from training.recipe_files import recipe_from_dict
    from training.trainer import build_trainer, run_paths

    class Clock(Callback):
        def __init__(self):
            self.stamps: list[float] = []

        def batch_end(self, state, logger):
            self.stamps.append(time.perf_counter())

    total = args.warmup + args.steps
    raw = {
        "kind": "pretrain",
        "name": "overhead",
        "output_root": str(out / "runs"),
        "model": {"config": model_keys(args), "attn_implementation": "sdpa"},
        "data": {"shards": str(shards)},
        "seq_len": args.seq,
        "global_batch_size": args.batch,
        "duration": f"{total}ba",
        "optimizer": {"lr": 1e-3, "grad_clip_norm": 1.0},
        "scheduler": {"warmup": "0.05dur"},
        "save_interval": f"{total * 10}ba",
        "seed": 17,
        "monitoring": {
            "progress_bar": False,
            "mlflow": {"tracking_uri": str(REPO / "bench" / "out" / "overhead-mlruns")},
        },
    }
    recipe = recipe_from_dict(raw, "overhead")
    clock = Clock()
    trainer, _ = build_trainer(recipe, recipe.run_name(), run_paths(recipe), [clock])
    trainer.fit()
    trainer.close()
    stamps = clock.stamps
    return [b - a for a, b in zip(stamps[args.warmup - 1 : -1], stamps[args.warmup :], strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="ladder-overhead-"))
    try:
        samples = args.batch * (args.warmup + args.steps) + args.batch
        tokens = write_shards(work / "shards", samples, args.seq, args.vocab)
        plain, ladder = [], []
        for r in range(args.rounds):
            plain.append(statistics.median(plain_loop(args, tokens)))
            ladder.append(statistics.median(ladder_trainer(args, work / "shards", work / f"r{r}")))
            print(f"round {r}: plain {plain[-1] * 1e3:.1f} ms/step, ladder {ladder[-1] * 1e3:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = statistics.median(ladder) / statistics.median(plain)
    result = {
        "plain_ms_per_step": round(statistics.median(plain) * 1e3, 2),
        "ladder_ms_per_step": round(statistics.median(ladder) * 1e3, 2),
        "ratio": round(ratio, 3),
        "goal": 1.15,
        "args": vars(args),
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
    }
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "train_overhead.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
