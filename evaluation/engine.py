"""A batched scorer for causal LMs: prefix-shared packing, head applied to scored tokens only.

``PackedScorer`` scores (context, continuation) pairs with the same tokenisation rules as
lm-evaluation-harness's Hugging Face backend (trailing context spaces move to the continuation;
the continuation is the tail of encoding both together; empty contexts get the BOS token; left
truncation to the model's length), so its log-likelihoods and greedy flags match that backend's.
What makes it faster on CPU: requests sharing a context are packed once with a tree mask
(``packing``), rows carry several items (no padding), and the vocabulary projection and softmax
run only at the positions that predict continuation tokens.

Defaults: ``batch_tokens=4096`` tokens per forward pass, rows of at least ``min_row=512`` tokens.
It needs a model whose attention honours 4-D boolean masks and explicit ``position_ids`` (Llama,
Mistral, Qwen2, GPT-NeoX, ... with the ``sdpa`` or ``eager`` attention of transformers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from tqdm.auto import tqdm

from evaluation.prompt_packing import Segment, build_batch, group_batches, pack_rows

Progress = Callable[[int, int], None]


def resolve_max_length(model, tokenizer, default: int = 2048) -> int:
    """The model's context length: config attributes first, then the tokenizer's, else 2048."""
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(model.config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", None)
    return value if isinstance(value, int) and 0 < value < 1_000_000 else default


class PackedScorer:
    """Log-likelihoods, greedy flags and greedy generations of a Hugging Face causal LM."""

    def __init__(
        self,
        model,
        tokenizer,
        *,
        batch_tokens: int = 4096,
        min_row: int = 512,
        max_length: int | None = None,
        show_progress: bool = True,
        progress: Progress | None = None,
    ):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_tokens = batch_tokens
        self.min_row = min_row
        self.max_length = max_length or resolve_max_length(model, tokenizer)
        self.show_progress = show_progress
        self.progress = progress
        bos = tokenizer.bos_token_id
        self.prefix_token_id = bos if bos is not None else tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = self.prefix_token_id or 0
        self._bos_text = tokenizer.decode([self.prefix_token_id])

    # ------------------------------------------------------------------ tokenisation
    def encode(self, text: str) -> list[int]:
        """Tokenizer defaults (BOS where the tokenizer adds one), unless text already has it."""
        if self._bos_text and text.startswith(self._bos_text):
            return self.tokenizer.encode(text, add_special_tokens=False)
        return self.tokenizer.encode(text)

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """Context and continuation tokens, split the way the harness's HF backend splits them."""
        if not context:
            return [self.prefix_token_id], self.tokenizer.encode(
                continuation, add_special_tokens=False
            )
        spaces = len(context) - len(context.rstrip())
        if spaces:
            continuation = context[-spaces:] + continuation
            context = context[:-spaces]
        whole = self.encode(context + continuation)
        ctx = self.encode(context)
        return ctx, whole[len(ctx) :]

    # ------------------------------------------------------------------ scoring
    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[float, bool]]:
        """Sum of continuation log-probabilities (nats) and whether greedy decoding yields it."""
        encoded = [self.encode_pair(c, x) for c, x in pairs]
        return [(ll, greedy) for ll, greedy, _ in self.score_tokens(encoded)]

    def score_tokens(
        self, requests: Sequence[tuple[list[int], list[int]]]
    ) -> list[tuple[float, bool, int]]:
        """(log-prob sum, greedy, tokens scored) per (context ids, continuation ids) request."""
        segments = self._segments(requests)
        if not segments:
            return []
        lengths = [s.length for s in segments]
        row_len = max(self.min_row, max(lengths))
        rows = pack_rows(lengths, row_len)
        batches = group_batches(rows, lengths, max(self.batch_tokens, row_len))
        logprob = [0.0] * len(requests)
        greedy = [True] * len(requests)
        counts = [0] * len(requests)
        done, total = 0, sum(len(c) for _, c in requests)
        bar = tqdm(total=total, unit="tok", desc="scoring", disable=not self.show_progress)
        with torch.inference_mode():
            for batch_rows in batches:
                batch = build_batch(segments, [rows[r] for r in batch_rows], self.pad_id)
                for key, lp, hit in self._forward(batch):
                    logprob[key] += lp
                    greedy[key] = greedy[key] and hit
                    counts[key] += 1
                step = len(batch.targets)
                done += step
                bar.update(step)
                if self.progress:
                    self.progress(done, total)
        bar.close()
        return list(zip(logprob, greedy, counts, strict=True))

    def _segments(self, requests: Sequence[tuple[list[int], list[int]]]) -> list[Segment]:
        """Group requests by identical context; truncate from the left to the model length."""
        by_context: dict[tuple[int, ...], Segment] = {}
        alone: list[Segment] = []
        limit = self.max_length
        for key, (ctx, cont) in enumerate(requests):
            if not cont:
                raise ValueError(f"request {key} has an empty continuation")
            cont = cont[-limit:]
            if len(ctx) + len(cont) - 1 > limit:  # keep the last `limit` input tokens
                alone.append(Segment(ctx[-(limit + 1 - len(cont)) :], [cont], [key]))
                continue
            seg = by_context.setdefault(tuple(ctx), Segment(list(ctx)))
            seg.continuations.append(cont)
            seg.keys.append(key)
        segments = alone
        cap = max(self.min_row, limit)
        for seg in by_context.values():  # split very wide segments so each fits a row
            part = Segment(seg.context)
            for cont, key in zip(seg.continuations, seg.keys, strict=True):
                if part.continuations and part.length + len(cont) - 1 > cap:
                    segments.append(part)
                    part = Segment(seg.context)
                part.continuations.append(cont)
                part.keys.append(key)
            segments.append(part)
        return segments

    def _forward(self, batch) -> list[tuple[int, float, bool]]:
        device = next(self.model.parameters()).device
        out = self.model.base_model(
            input_ids=batch.input_ids.to(device),
            attention_mask=batch.attention_mask.to(device),
            position_ids=batch.position_ids.to(device),
            use_cache=False,
        )
        hidden = out.last_hidden_state
        rows = torch.tensor([t[0] for t in batch.targets], device=device)
        cols = torch.tensor([t[1] for t in batch.targets], device=device)
        tokens = torch.tensor([t[2] for t in batch.targets], device=device)
        head = self.model.get_output_embeddings()
        results = []
        for start in range(0, len(batch.targets), 1024):
            sl = slice(start, start + 1024)
            logits = head(hidden[rows[sl], cols[sl]]).float()
            logp = torch.log_softmax(logits, dim=-1)
            picked = logp.gather(1, tokens[sl, None])[:, 0]
            hits = logits.argmax(dim=-1) == tokens[sl]
            for i, (lp, hit) in enumerate(zip(picked.tolist(), hits.tolist(), strict=True)):
                results.append((batch.targets[start + i][3], lp, bool(hit)))
        return results

    # ------------------------------------------------------------------ rolling / perplexity
    def rolling_logprob(
        self, texts: Sequence[str], window: int | None = None
    ) -> list[tuple[float, int]]:
        """(total log-probability in nats, tokens) of each text, in windows with context.

        Each window predicts ``window // 2`` new tokens given up to ``window // 2`` preceding
        tokens; the first window is conditioned on the BOS token (``window`` defaults to the
        model length, capped at 1024).
        """
        window = window or min(self.max_length, 1024)
        predict = max(1, window // 2)
        requests, owners = [], []
        for i, text in enumerate(texts):
            tokens = self.tokenizer.encode(text, add_special_tokens=False)
            for start in range(0, len(tokens), predict):
                ctx = tokens[max(0, start - (window - predict)) : start] or [self.prefix_token_id]
                requests.append((ctx, tokens[start : start + predict]))
                owners.append(i)
        totals = [0.0] * len(texts)
        counts = [0] * len(texts)
        for owner, (lp, _, n) in zip(owners, self.score_tokens(requests), strict=True):
            totals[owner] += lp
            counts[owner] += n
        return list(zip(totals, counts, strict=True))

    # ------------------------------------------------------------------ generation
    def generate(
        self,
        contexts: Sequence[str],
        until: Sequence[Sequence[str]],
        max_gen_toks: int = 256,
        batch_size: int = 8,
    ) -> list[str]:
        """Greedy continuations, cut at the first stop string of each request."""
        order = sorted(range(len(contexts)), key=lambda i: -len(contexts[i]))
        outputs = [""] * len(contexts)
        device = next(self.model.parameters()).device
        budget = max(1, self.max_length - max_gen_toks)
        bar = tqdm(total=len(contexts), desc="generating", disable=not self.show_progress)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            encoded = [self.encode(contexts[i])[-budget:] for i in chunk]
            width = max(len(e) for e in encoded)
            ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, e in enumerate(encoded):
                ids[row, width - len(e) :] = torch.tensor(e)
                mask[row, width - len(e) :] = 1
            stops = sorted({s for i in chunk for s in until[i] if s})
            with torch.inference_mode():
                out = self.model.generate(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    max_new_tokens=max_gen_toks,
                    do_sample=False,
                    pad_token_id=self.pad_id,
                    stop_strings=stops or None,
                    tokenizer=self.tokenizer if stops else None,
                )
            for row, i in enumerate(chunk):
                text = self.tokenizer.decode(out[row, width:], skip_special_tokens=True)
                outputs[i] = cut_at_stops(text, until[i])
            bar.update(len(chunk))
            if self.progress:
                self.progress(min(start + batch_size, len(order)), len(order))
        bar.close()
        return outputs


def cut_at_stops(text: str, stops: Sequence[str]) -> str:
    """``text`` up to the first occurrence of any stop string."""
    cut = len(text)
    for stop in stops:
        if stop and (found := text.find(stop)) != -1:
            cut = min(cut, found)
    return text[:cut]


def bits_per_byte(logprob_nats: float, n_bytes: int) -> float:
    """Negative log-likelihood in bits per UTF-8 byte."""
    return -logprob_nats / math.log(2) / max(1, n_bytes)
