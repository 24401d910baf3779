"""The packed scorer: hand-computable log-probabilities, packing equivalence, harness parity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from evaluation.engine import PackedScorer, bits_per_byte, cut_at_stops
from evaluation.prompt_packing import Segment, pack_rows
from tests.evaluation.conftest import make_tiny_llama


class _Ids:
    """The minimal tokenizer surface the scorer needs when requests are already token ids."""

    bos_token_id, eos_token_id, pad_token_id = 0, 0, None

    def decode(self, ids, **_):
        return "<s>"


def _bigram_model():
    """A Llama whose blocks add nothing: logits = rmsnorm(E[prev]) @ E^T, computable by hand."""
    model = make_tiny_llama(vocab_size=6, seed=3, layers=1, hidden=8)
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
    emb = model.model.embed_tokens.weight.detach().numpy().astype(np.float64)
    eps = model.config.rms_norm_eps
    normed = emb / np.sqrt((emb**2).mean(axis=1, keepdims=True) + eps)
    logits = normed @ emb.T
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return model, logp


def test_hand_computed_logprobs_and_greedy_flags():
    model, logp = _bigram_model()
    scorer = PackedScorer(model, _Ids(), show_progress=False, min_row=8)
    requests = [([1, 2], [3, 4]), ([1, 2], [5]), ([4], [2, 2, 2]), ([1, 2], [3, 4, 1])]
    got = scorer.score_tokens(requests)
    for (ctx, cont), (lp, greedy, n) in zip(requests, got, strict=True):
        prev = [ctx[-1], *cont[:-1]]
        expected = sum(logp[p, t] for p, t in zip(prev, cont, strict=True))
        expected_greedy = all(logp[p].argmax() == t for p, t in zip(prev, cont, strict=True))
        assert lp == pytest.approx(expected, abs=1e-4)
        assert greedy == expected_greedy
        assert n == len(cont)
    # one continuation made of each context's greedy tokens is flagged greedy
    best = int(logp[2].argmax())
    assert scorer.score_tokens([([1, 2], [best])])[0][1] is True


def test_packed_equals_one_request_at_a_time():
    model = make_tiny_llama(vocab_size=50, seed=7, layers=2, hidden=32)
    rng = np.random.default_rng(0)
    requests = []
    for _ in range(6):
        ctx = rng.integers(1, 50, size=int(rng.integers(1, 12))).tolist()
        for _ in range(int(rng.integers(1, 4))):  # several continuations share the context
            requests.append((ctx, rng.integers(1, 50, size=int(rng.integers(1, 6))).tolist()))
    scorer = PackedScorer(model, _Ids(), show_progress=False, min_row=16, batch_tokens=32)
    packed = scorer.score_tokens(requests)
    with torch.no_grad():
        for (ctx, cont), (lp, greedy, _) in zip(requests, packed, strict=True):
            logits = model(torch.tensor([ctx + cont[:-1]])).logits[0].double()
            logp = torch.log_softmax(logits, -1)[len(ctx) - 1 :]
            want = sum(float(logp[i, t]) for i, t in enumerate(cont))
            assert lp == pytest.approx(want, abs=1e-4)
            top = logits[len(ctx) - 1 :].argmax(-1).tolist()
            assert greedy == all(top[i] == t for i, t in enumerate(cont))


class _Chars(_Ids):
    """Characters as token ids (1..49), for rolling-window tests."""

    def encode(self, text, add_special_tokens=False):
        return [1 + ord(c) % 49 for c in text]


def _direct_logprob(model, context: list[int], tokens: list[int]) -> float:
    with torch.no_grad():
        logits = model(torch.tensor([context + tokens[:-1]])).logits[0].double()
    logp = torch.log_softmax(logits, -1)[len(context) - 1 :]
    return sum(float(logp[i, t]) for i, t in enumerate(tokens))


def test_rolling_windows_score_every_token_once_with_their_context():
    model = make_tiny_llama(vocab_size=50, seed=5, layers=2, hidden=32)
    scorer = PackedScorer(model, _Chars(), show_progress=False, min_row=16)
    texts = ["the old river town", "abc"]
    whole = scorer.rolling_logprob(texts, window=1000)  # one window: everything after BOS
    for text, (lp, n) in zip(texts, whole, strict=True):
        tokens = _Chars().encode(text)
        assert n == len(tokens)
        assert lp == pytest.approx(_direct_logprob(model, [0], tokens), abs=1e-4)
    tokens = _Chars().encode(texts[0])  # window 8: predict 4 tokens after up to 4 of context
    want = sum(
        _direct_logprob(model, tokens[max(0, s - 4) : s] or [0], tokens[s : s + 4])
        for s in range(0, len(tokens), 4)
    )
    lp, n = scorer.rolling_logprob(texts[:1], window=8)[0]
    assert n == len(tokens) and lp == pytest.approx(want, abs=1e-4)


def test_domain_bits_per_byte_per_group():
    from evaluation.perplexity import DomainDoc, domain_perplexity, ratio_stderr

    model = make_tiny_llama(vocab_size=50, seed=5, layers=1, hidden=16)
    scorer = PackedScorer(model, _Chars(), show_progress=False, min_row=16)
    docs = [DomainDoc("a", "héllo"), DomainDoc("b", "xyz"), DomainDoc("a", "river")]
    scored = scorer.rolling_logprob([d.text for d in docs])
    results = {r.group: r for r in domain_perplexity(scorer, docs)}
    assert list(results) == ["a", "b"]
    bits = [-scored[i][0] / math.log(2) for i in (0, 2)]
    nbytes = [6, 5]  # "é" is two UTF-8 bytes
    assert results["a"].bits_per_byte == pytest.approx(sum(bits) / 11)
    assert results["a"].stderr == pytest.approx(ratio_stderr(bits, nbytes))
    assert (results["a"].docs, results["a"].bytes, results["a"].tokens) == (2, 11, 10)
    assert results["b"].stderr == 0.0  # a single document
    assert ratio_stderr([2.0, 4.0], [1, 1]) == pytest.approx(1.0)  # sqrt(((-1)^2 + 1^2) / 2) / 1


def test_left_truncation_keeps_the_last_tokens():
    model = make_tiny_llama(vocab_size=50, seed=2, layers=1, hidden=16)
    scorer = PackedScorer(model, _Ids(), show_progress=False, min_row=8, max_length=8)
    ctx, cont = list(range(1, 20)), [5, 6, 7]
    lp = scorer.score_tokens([(ctx, cont)])[0][0]
    inputs = (ctx + cont)[-(8 + 1) :][:-1]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([inputs])).logits[0].double(), -1)
    want = sum(float(logp[len(inputs) - 3 + i, t]) for i, t in enumerate(cont))
    assert lp == pytest.approx(want, abs=1e-4)


def test_pack_rows_first_fit_and_segment_length():
    assert Segment([1, 2, 3], [[4], [5, 6], [7, 8, 9]], [0, 1, 2]).length == 3 + 0 + 1 + 2
    rows = pack_rows([5, 3, 4, 2, 6], row_len=8)
    assert sorted(i for row in rows for i in row) == [0, 1, 2, 3, 4]
    assert all(sum([5, 3, 4, 2, 6][i] for i in row) <= 8 for row in rows)
    assert len(rows) == 3
    with pytest.raises(ValueError):
        pack_rows([9], row_len=8)


def test_bits_per_byte_and_stop_strings():
    assert bits_per_byte(-math.log(2) * 8, 4) == pytest.approx(2.0)
    assert cut_at_stops("Paris.\nQuestion: x", ["\n", "."]) == "Paris"
    assert cut_at_stops("no stop", ["###"]) == "no stop"


def test_pair_encoding_matches_the_harness_backend(tiny_model_dir, tokenizer):
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    hflm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=4)
    scorer = PackedScorer(model, tokenizer, show_progress=False)
    pairs = [
        ("Question: What is 2+2?\nAnswer:", " 4"),
        ("The cat sat on the ", "mat"),  # trailing space moves to the continuation
        ("Wikipedia est une encyclopédie", " libre."),
    ]
    for ctx, cont in pairs:
        assert scorer.encode_pair(ctx, cont) == hflm._encode_pair(ctx, cont)
    assert scorer.encode_pair("", "hello")[0] == [hflm.prefix_token_id]


def test_generation_is_capped_in_limited_runs(tiny_model_dir, tokenizer):
    from lm_eval.api.instance import Instance
    from transformers import AutoModelForCausalLM

    from evaluation.backend import make_backend

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    requests = [
        Instance("generate_until", {}, ("Question: 2+2?\nAnswer:", {"max_gen_toks": 40}), 0)
    ]
    lengths = []
    for cap in (None, 5):
        lm = make_backend(model, tokenizer, show_progress=False, max_gen_toks=cap)
        calls: list[int] = []

        def spy(*args, _calls=calls, _generate=lm.scorer.generate, **kwargs):
            _calls.append(kwargs["max_gen_toks"])
            return _generate(*args, **kwargs)

        lm.scorer.generate = spy
        (text,) = lm.generate_until(requests)
        lengths.append(len(tokenizer(text, add_special_tokens=False)["input_ids"]))
        assert calls == [cap or 40]
    assert lengths[1] <= 5 < lengths[0]  # a random model does not stop early


def test_the_summary_shows_seconds_per_task_slowest_first():
    from evaluation.gauntlet import TaskResult, summarize
    from evaluation.report import gauntlet_text

    results = [
        TaskResult("fast", "world_knowledge", "acc", 0.5, 0.1, 10, 0.25, seconds=2.0),
        TaskResult("slow", "world_knowledge", "acc", 0.5, 0.1, 10, 0.25, seconds=1012.4),
    ]
    text = gauntlet_text(summarize(results))
    assert text.splitlines()[-1] == "seconds per task: slow 1012.4, fast 2.0"
    assert "seconds" in text.splitlines()[0]
