"""`ladder plan`: parameters, tokens, FLOPs, Chinchilla tokens, pretraining share, GPU cost,
each checked against arithmetic done by hand."""

from __future__ import annotations

import pytest

from flows.cli import main
from training.plan import make_plan
from training.recipe_files import recipe_from_dict

TINY = {
    "kind": "pretrain",
    "model": {"preset": "llama-tiny"},
    "data": {"shards": "/nonexistent"},
    "seq_len": 32,
    "global_batch_size": 8,
    "duration": "1000ba",
}
# llama-tiny by hand: embedding 512 x 64 = 32,768 (tied output); per layer q 64x64 = 4,096,
# k and v 64x32 = 2,048 each, o 4,096, gate/up/down 3 x 64x172 = 33,024, two norms 128:
# 45,440; two layers 90,880; final norm 64. Total 32,768 + 90,880 + 64 = 123,712.
TINY_PARAMS = 123_712


def test_dense_plan_by_hand():
    plan = make_plan(recipe_from_dict(TINY, "tiny"), gpu="h100", mfu=0.5, price=2.0)
    assert plan.parameters == plan.active_parameters == TINY_PARAMS
    assert plan.batches == 1000 and plan.tokens == 1000 * 8 * 32 == 256_000
    assert plan.flops == 6 * 123_712 * 256_000 == 190_021_632_000
    assert plan.chinchilla_tokens == 20 * 123_712 == 2_474_240
    assert plan.pretrain_share is None  # from scratch: no base model
    assert plan.gpu_peak_flops == 989.5e12  # H100 SXM dense bf16 (Composer's table)
    hours = 190_021_632_000 / (989.5e12 * 0.5) / 3600
    assert plan.gpu_hours == pytest.approx(hours, rel=1e-12)
    assert plan.cost == pytest.approx(hours * 2.0, rel=1e-12)


def test_mixture_of_experts_counts_active_parameters():
    moe = {
        "model_type": "mixtral",
        "vocab_size": 100,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "num_local_experts": 4,
        "num_experts_per_tok": 2,
        "tie_word_embeddings": False,
    }
    recipe = recipe_from_dict({**TINY, "model": {"config": moe}}, "moe")
    plan = make_plan(recipe, gpu="a100", mfu=0.4, price=1.0)
    # embedding and output 2 x 100x64 = 12,800; per layer attention 4,096 + 2,048 + 2,048 +
    # 4,096 = 12,288, router 64x4 = 256, experts 4 x 3 x 64x128 = 98,304, norms 128:
    # 110,976; two layers 221,952; final norm 64 -> 234,816. Active: experts x 2/4.
    assert plan.parameters == 234_816
    assert plan.active_parameters == 234_816 - 2 * 98_304 + 2 * 98_304 * 2 // 4 == 136_512
    assert plan.flops == 6 * 136_512 * 256_000
    assert plan.chinchilla_tokens == 20 * 136_512


def test_continued_pretraining_share_of_the_base_models_tokens():
    cpt = {
        **TINY,
        "kind": "cpt",
        "model": {"source": "smollm2-135m-instruct"},
        "seq_len": 2048,
        "global_batch_size": 64,
        "duration": "2e9tok",
    }
    plan = make_plan(recipe_from_dict(cpt, "cpt"), gpu="h200", mfu=0.4, price=3.0)
    assert plan.parameters == 134_515_008  # SmolLM2-135M, read from the GGUF metadata
    assert plan.batches == 15_259  # ceil(2e9 / (64 x 2048))
    assert plan.tokens == 15_259 * 131_072
    assert plan.pretrain_tokens == 2e12
    assert plan.pretrain_share == pytest.approx(15_259 * 131_072 / 2e12, rel=1e-12)


def test_ladder_plan_prints_the_figures(tmp_path, capsys):
    import yaml

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    assert main(["plan", str(path), "--gpu", "h100", "--mfu", "0.5", "--price", "2"]) == 0
    out = capsys.readouterr().out
    assert "123,712" in out and "256,000" in out and "1.900e+11" in out
    assert "2,474,240" in out and "989.5 TFLOP/s" in out and "$2.13e-07" in out
    assert main(["plan", str(path), "--gpu", "tpu9"]) == 2
    assert "unknown GPU type" in capsys.readouterr().err
