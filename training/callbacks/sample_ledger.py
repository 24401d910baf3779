"""``SampleLedger``: which sequences each rank trained on, batch by batch.

Each rank appends ``{"batch", "rank", "digests"}`` lines to ``<folder>/rank<R>.jsonl``, where
digests are CRC32s of the token sequences (the collator adds them when the ledger is on). It
proves that ranks read disjoint parts of the shards and lets a run be audited afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

from composer.core import Callback, State
from composer.loggers import Logger
from composer.utils import dist


class SampleLedger(Callback):
    """Records per-rank sequence digests of every training batch."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def batch_end(self, state: State, logger: Logger) -> None:
        digests = state.batch.get("sample_digest") if isinstance(state.batch, dict) else None
        if digests is None:
            return
        rank = dist.get_global_rank()
        self.folder.mkdir(parents=True, exist_ok=True)
        line = {"batch": int(state.timestamp.batch), "rank": rank, "digests": digests.tolist()}
        with open(self.folder / f"rank{rank}.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


def read_ledger(folder: str | Path) -> dict[int, dict[int, list[int]]]:
    """{rank: {batch: digests}}; the last record of a batch wins (after resumes)."""
    out: dict[int, dict[int, list[int]]] = {}
    for path in sorted(Path(folder).glob("rank*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            out.setdefault(int(record["rank"]), {})[int(record["batch"])] = record["digests"]
    return out
