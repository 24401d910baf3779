"""Scoring backends behind lm-evaluation-harness's ``LM`` interface.

``packed`` is ladder's ``PackedScorer`` (default, faster on CPU); ``harness`` is lm-eval's own
Hugging Face backend (``HFLM``), kept for cross-checks. Both score the same lm-eval requests.
"""

from __future__ import annotations

from typing import Literal

from lm_eval.api.model import LM

from evaluation.engine import PackedScorer

DEFAULT_MAX_GEN_TOKS = 256


class PackedLM(LM):
    """lm-eval ``LM`` over a ``PackedScorer``; usable with ``lm_eval.simple_evaluate`` too."""

    def __init__(
        self, scorer: PackedScorer, gen_batch_size: int = 8, max_gen_toks: int | None = None
    ):
        super().__init__()
        self.scorer = scorer
        self.gen_batch_size = gen_batch_size
        self.max_gen_toks = max_gen_toks  # a cap on every request's own max_gen_toks

    def loglikelihood(self, requests, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        return self.scorer.score_pairs([r.args for r in requests])

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False) -> list[float]:
        return [lp for lp, _ in self.scorer.rolling_logprob([r.args[0] for r in requests])]

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        eos = self.scorer.tokenizer.eos_token
        groups: dict[int, list[int]] = {}
        stops: list[list[str]] = []
        for i, req in enumerate(requests):
            kwargs = dict(req.args[1]) if len(req.args) > 1 else {}
            until = kwargs.get("until") or []
            until = [until] if isinstance(until, str) else list(until)
            stops.append(until + ([eos] if eos and eos not in until else []))
            max_toks = int(kwargs.get("max_gen_toks", DEFAULT_MAX_GEN_TOKS))
            if self.max_gen_toks is not None:
                max_toks = min(max_toks, self.max_gen_toks)
            groups.setdefault(max_toks, []).append(i)
        out = [""] * len(requests)
        for max_toks, members in groups.items():
            texts = self.scorer.generate(
                [requests[i].args[0] for i in members],
                [stops[i] for i in members],
                max_gen_toks=max_toks,
                batch_size=self.gen_batch_size,
            )
            for i, text in zip(members, texts, strict=True):
                out[i] = text
        return out


def make_backend(
    model,
    tokenizer,
    kind: Literal["packed", "harness"] = "packed",
    batch_tokens: int = 4096,
    batch_size: int = 16,
    show_progress: bool = True,
    progress=None,
    max_gen_toks: int | None = None,
) -> LM:
    """An lm-eval ``LM`` for an already loaded model and tokenizer; ``max_gen_toks`` caps
    generation (packed only)."""
    if kind == "harness":
        from lm_eval.models.huggingface import HFLM

        return HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
    scorer = PackedScorer(
        model, tokenizer, batch_tokens=batch_tokens, show_progress=show_progress, progress=progress
    )
    return PackedLM(scorer, max(1, min(batch_size, 16)), max_gen_toks)
