"""The LLM judge of golden-set answers: a local Hugging Face model or an OpenAI-compatible API.

The judge prompt (``JudgeConfig.prompt``, with ``{query}``, ``{expected}``, ``{response}`` and
``{rubric}``) ends where the verdict starts. A local judge compares the log-likelihood of the
verdicts `` yes`` and `` no`` after the prompt (deterministic, one forward pass per item, no
parsing); an API judge gets the prompt as a chat message and its reply's first word is read.
The API key is read from the environment (``api_key_env``) or a Prefect Secret block
(``api_key_secret``) at call time and never logged or stored.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass

from evaluation.config import JudgeConfig
from evaluation.engine import PackedScorer


@dataclass
class Verdict:
    accept: bool
    margin: float | None  # log P(yes) - log P(no) for local judges


def judge_prompt(cfg: JudgeConfig, query: str, expected: str, response: str) -> str:
    return cfg.prompt.format(query=query, expected=expected, response=response, rubric=cfg.rubric)


class LocalJudge:
    """A Hugging Face causal LM as judge (verdict by log-likelihood of ' yes' vs ' no')."""

    def __init__(self, cfg: JudgeConfig, scorer: PackedScorer):
        self.cfg = cfg
        self.scorer = scorer

    def judge(self, items: list[tuple[str, str, str]]) -> list[Verdict]:
        pairs = []
        for query, expected, response in items:
            prompt = judge_prompt(self.cfg, query, expected, response)
            pairs += [(prompt, " yes"), (prompt, " no")]
        scores = self.scorer.score_pairs(pairs)
        verdicts = []
        for i in range(0, len(scores), 2):
            margin = scores[i][0] - scores[i + 1][0]
            verdicts.append(Verdict(margin > 0, margin))
        return verdicts


def api_key(cfg: JudgeConfig) -> str:
    """The endpoint's key from the environment, else from the named Prefect Secret."""
    key = os.environ.get(cfg.api_key_env)
    if key:
        return key
    if cfg.api_key_secret:
        from prefect.blocks.system import Secret

        secret = Secret.load(cfg.api_key_secret)
        if not isinstance(secret, Secret):  # a coroutine: called from async code
            raise RuntimeError("api_key: load the judge's Secret from synchronous code")
        return str(secret.get())
    raise ValueError(
        f"judge endpoint needs an API key: set ${cfg.api_key_env} or judge.api_key_secret"
    )


class ApiJudge:
    """An OpenAI-compatible ``/chat/completions`` endpoint as judge (temperature 0)."""

    def __init__(self, cfg: JudgeConfig):
        if not cfg.base_url:
            raise ValueError("judge.kind=openai needs judge.base_url")
        self.cfg = cfg

    def _ask(self, prompt: str, key: str) -> str:
        body = json.dumps(
            {
                "model": self.cfg.model,
                "messages": [{"role": "user", "content": prompt}],
                "temperature": 0,
                "max_tokens": self.cfg.max_new_tokens,
            }
        ).encode()
        request = urllib.request.Request(
            (self.cfg.base_url or "").rstrip("/") + "/chat/completions",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.cfg.timeout_s) as resp:
                payload = json.loads(resp.read())
        except OSError as err:  # keep the key out of any message
            raise RuntimeError(f"judge endpoint {self.cfg.base_url} failed: {err}") from None
        return payload["choices"][0]["message"]["content"]

    def judge(self, items: list[tuple[str, str, str]]) -> list[Verdict]:
        key = api_key(self.cfg)
        out = []
        for query, expected, response in items:
            reply = self._ask(judge_prompt(self.cfg, query, expected, response), key)
            words = reply.strip().lower().split()
            out.append(Verdict(bool(words) and words[0].strip(".,!:") == "yes", None))
        return out


def agreement(judge: list[bool], reference: list[bool]) -> tuple[float, float]:
    """Share of items where judge and exact match agree, and Cohen's kappa."""
    n = len(judge)
    if n == 0:
        return float("nan"), float("nan")
    agree = sum(a == b for a, b in zip(judge, reference, strict=True)) / n
    p_j, p_r = sum(judge) / n, sum(reference) / n
    chance = p_j * p_r + (1 - p_j) * (1 - p_r)
    kappa = 0.0 if chance >= 1 else (agree - chance) / (1 - chance)
    return agree, kappa
