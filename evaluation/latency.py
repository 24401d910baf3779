"""Generation latency and inference cost on a fixed prompt set and batch size.

- ``ttft_s``: time to first token, the wall time of a batch's prefill plus one greedy token;
- ``tokens_per_s``: generated tokens per second over whole batches of ``max_new_tokens``
  tokens each (every sequence generates exactly that many);
- ``cost_usd_per_mtok``: ``price_per_hour_usd / 3600 / tokens_per_s * 1e6`` for the configured
  hardware price.
Each figure is the median over ``repeats`` passes of all batches (a warm-up pass runs first).
"""

from __future__ import annotations

import statistics
import time

import torch

from evaluation.config import LatencyConfig
from evaluation.results import ResultRow


def _batches(tokenizer, prompts: list[str], batch_size: int):
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    for start in range(0, len(prompts), batch_size):
        encoded = [tokenizer.encode(p) for p in prompts[start : start + batch_size]]
        width = max(len(e) for e in encoded)
        ids = torch.full((len(encoded), width), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, e in enumerate(encoded):
            ids[row, width - len(e) :] = torch.tensor(e)
            mask[row, width - len(e) :] = 1
        yield ids, mask, pad


def _generate(model, ids, mask, pad, n: int) -> None:
    device = next(model.parameters()).device
    with torch.inference_mode():
        model.generate(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            max_new_tokens=n,
            min_new_tokens=n,
            do_sample=False,
            pad_token_id=pad,
        )
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def measure(cfg: LatencyConfig, model, tokenizer) -> dict[str, float]:
    """Median TTFT, tokens/s and cost per million generated tokens."""
    batches = list(_batches(tokenizer, cfg.prompts, cfg.batch_size))
    for ids, mask, pad in batches[:1]:  # warm-up
        _generate(model, ids, mask, pad, 2)
    ttfts, rates = [], []
    for _ in range(cfg.repeats):
        first, tokens, elapsed = [], 0, 0.0
        for ids, mask, pad in batches:
            t0 = time.perf_counter()
            _generate(model, ids, mask, pad, 1)
            first.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            _generate(model, ids, mask, pad, cfg.max_new_tokens)
            elapsed += time.perf_counter() - t0
            tokens += ids.shape[0] * cfg.max_new_tokens
        ttfts.append(statistics.mean(first))
        rates.append(tokens / elapsed)
    rate = statistics.median(rates)
    return {
        "ttft_s": statistics.median(ttfts),
        "tokens_per_s": rate,
        "cost_usd_per_mtok": cfg.price_per_hour_usd / 3600 / rate * 1e6,
    }


def latency_rows(cfg: LatencyConfig, model: str, hf_model, tokenizer) -> list[ResultRow]:
    figures = measure(cfg, hf_model, tokenizer)
    n = len(cfg.prompts) * cfg.repeats
    task = f"latency/bs{cfg.batch_size}-new{cfg.max_new_tokens}/{cfg.hardware}"
    return [ResultRow(model, task, k, v, n, None, "latency") for k, v in figures.items()]
