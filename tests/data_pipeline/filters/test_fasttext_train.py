"""In-process fastText training is robust against the uninitialised-rows NaN (no Spark)."""

from __future__ import annotations

import random

import numpy as np

from data_pipeline.quality.fasttext_train import MIN_THREADS, TrainParams, train_supervised
from data_pipeline.quality.train import roc_auc


def _synthetic(path, n=200, seed=0):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(300)]
    lines = []
    for i in range(n):
        label = "hq" if i % 2 else "lq"
        pool = vocab[:150] if label == "hq" else vocab[150:]
        lines.append(f"__label__{label} " + " ".join(rng.choice(pool) for _ in range(20)))
    path.write_text("\n".join(lines) + "\n")


def test_small_data_small_dim_trains_for_every_seed(tmp_path):
    """The settings that failed half the time with 1 thread (dim 16, 200 lines) always train."""
    path = tmp_path / "train.txt"
    _synthetic(path)
    for seed in range(3):
        model, facts = train_supervised(
            str(path),
            TrainParams(
                dim=16, epoch=5, word_ngrams=1, min_count=1, seed=seed, threads=1, bucket=1000
            ),
        )
        assert facts["attempts"] >= 1 and model.get_dimension() == 16
        assert np.isfinite(np.asarray(model.get_output_matrix())).all()
        assert model.f.getArgs().thread >= MIN_THREADS
        # 30 words of the hq pool: a probe that 10 racing threads on 2 cores cannot tip over
        label, prob = model.predict(" ".join(f"w{i}" for i in range(0, 150, 5)))
        assert label[0] == "__label__hq" and prob[0] > 0.5


def test_roc_auc_handles_ties_and_perfect_separation():
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5
