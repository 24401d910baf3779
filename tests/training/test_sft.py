"""SFT: the loss ignores prompt tokens (labels -100 where the loss mask is 0)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from training.data import IGNORE_INDEX, TokenCollator
from training.model import LadderLM
from training.presets import preset_config


def samples(rows: int = 3, length: int = 12) -> list[dict]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(rows):
        mask = np.zeros(length, np.uint8)
        mask[4 + i :] = 1  # prompt of 4 + i tokens, then the response
        out.append({"tokens": rng.integers(0, 512, length).astype(np.int32), "loss_mask": mask})
    return out


def test_collator_labels_prompt_tokens_with_ignore_index():
    batch = TokenCollator(seq_len=12, loss_mask_column="loss_mask")(samples())
    labels = batch["labels"].numpy()
    for i, sample in enumerate(samples()):
        assert (labels[i][sample["loss_mask"] == 0] == IGNORE_INDEX).all()
        assert (
            labels[i][sample["loss_mask"] == 1] == sample["tokens"][sample["loss_mask"] == 1]
        ).all()
    assert "attention_mask" not in batch  # full-length rows need no mask


def test_padding_and_truncation_are_accounted():
    rows = [{"tokens": np.arange(5, dtype=np.int32)}, {"tokens": np.arange(20, dtype=np.int32)}]
    batch = TokenCollator(seq_len=8, pad_token_id=0)(rows)
    assert batch["truncated_tokens"].tolist() == [0, 12]
    assert batch["attention_mask"].tolist()[0] == [1] * 5 + [0] * 3
    assert batch["labels"].tolist()[0][5:] == [IGNORE_INDEX] * 3


def test_sft_loss_is_cross_entropy_over_response_tokens_only():
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    keys = preset_config("llama-tiny")
    config = AutoConfig.for_model(keys.pop("model_type"), **keys)
    model = LadderLM(AutoModelForCausalLM.from_config(config))
    batch = TokenCollator(seq_len=12, loss_mask_column="loss_mask")(samples())
    outputs = model(batch)
    loss = model.loss(outputs, batch)

    logits = outputs["logits"][:, :-1].reshape(-1, config.vocab_size)
    targets = batch["input_ids"][:, 1:].reshape(-1)
    keep = torch.stack([torch.from_numpy(s["loss_mask"][1:]) for s in samples()]).reshape(-1) == 1
    expected = F.cross_entropy(logits[keep], targets[keep])
    everything = F.cross_entropy(logits, targets)
    assert torch.allclose(loss, expected, atol=1e-6)
    assert not torch.allclose(loss, everything, atol=1e-3)
