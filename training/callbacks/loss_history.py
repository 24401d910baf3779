"""``LossHistory``: one JSON line per batch (and per evaluation) in ``<run>/metrics.jsonl``.

Lines: ``{"batch", "loss", "lr", "tokens", "truncated_tokens"}`` after each batch and
``{"batch", "eval_loss", "eval_perplexity"}`` after each evaluation. Written by global rank 0,
flushed line by line so a killed run keeps what it logged. On (re)start the lines after the
batch the run resumed from are dropped, so the batches trained again appear once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from composer.core import Callback, State
from composer.loggers import Logger
from composer.utils import dist


class LossHistory(Callback):
    """Appends per-batch loss, learning rate and token counts to a JSONL file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.truncated_total = 0

    def fit_start(self, state: State, logger: Logger) -> None:
        if dist.get_global_rank() == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            drop_after(self.path, int(state.timestamp.batch))

    def _write(self, record: dict) -> None:
        if dist.get_global_rank() == 0:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")

    def batch_end(self, state: State, logger: Logger) -> None:
        truncated = state.batch.get("truncated_tokens") if isinstance(state.batch, dict) else None
        count = torch.tensor(int(truncated.sum()) if truncated is not None else 0)
        count = state.device.tensor_to_device(count)
        dist.all_reduce(count, reduce_operation="SUM")
        self.truncated_total += int(count.item())
        logger.log_metrics({"data/truncated_tokens": self.truncated_total})
        loss = (state.total_loss_dict or {}).get("loss/train/total")
        lr = state.optimizers[0].param_groups[0]["lr"] if state.optimizers else None
        self._write(
            {
                "batch": int(state.timestamp.batch),
                "loss": float(loss) if loss is not None else None,
                "lr": float(lr) if lr is not None else None,
                "tokens": int(state.timestamp.token),
                "truncated_tokens": self.truncated_total,
            }
        )

    def eval_end(self, state: State, logger: Logger) -> None:
        metrics = state.eval_metrics.get("eval", {})
        record: dict = {"batch": int(state.timestamp.batch)}
        if "LanguageCrossEntropy" in metrics:
            record["eval_loss"] = float(metrics["LanguageCrossEntropy"].compute())
        if "LanguagePerplexity" in metrics:
            record["eval_perplexity"] = float(metrics["LanguagePerplexity"].compute())
        self._write(record)

    def state_dict(self) -> dict:
        return {"truncated_total": self.truncated_total}

    def load_state_dict(self, state: dict) -> None:
        self.truncated_total = int(state.get("truncated_total", 0))


def drop_after(path: str | Path, batch: int) -> int:
    """Remove the lines of ``path`` past ``batch`` (and a line cut by a kill); returns how
    many were removed. The file is replaced atomically."""
    path = Path(path)
    if not path.is_file():
        return 0
    kept, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            keep = int(json.loads(line)["batch"]) <= batch
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            keep = False
        if keep:
            kept.append(line)
        else:
            dropped += 1
    if dropped:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        os.replace(tmp, path)
    return dropped


def read_history(path: str | Path) -> tuple[dict[int, dict], dict[int, dict]]:
    """(train records by batch, eval records by batch), the last line of each batch winning."""
    train: dict[int, dict] = {}
    evals: dict[int, dict] = {}
    path = Path(path)
    if not path.is_file():
        return train, evals
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a kill
            continue
        target = evals if "eval_loss" in record else train
        target[int(record["batch"])] = record
    return dict(sorted(train.items())), dict(sorted(evals.items()))
