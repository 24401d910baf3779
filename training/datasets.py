"""Dataset wrappers that keep streaming's deterministic mid-epoch resumption intact.

Composer checkpoints ``dataset.state_dict(num_samples, from_beginning)`` with the number of
*rows* it has trained on in the epoch (all ranks together) and restores it with
``load_state_dict``; these wrappers translate that count for what they wrap.

- ``PhasedDataset``: curriculum phases played in order, one ``StreamingDataset`` per phase
  sized with ``epoch_size`` (its share of the run); one Composer epoch is the whole curriculum.
- ``SplitSamples``: stored sequences of ``k x seq_len`` tokens are cut into ``k`` training rows
  by the collator, so Composer counts ``k`` rows per stored sample; the wrapped dataset is
  told ``rows // k``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from torch.utils.data import IterableDataset


class PhasedDataset(IterableDataset):
    """Plays ``phases`` (streaming datasets with a global ``epoch_size`` each) in order."""

    def __init__(self, phases: Sequence[Any], sizes: Sequence[int]):
        if len(phases) != len(sizes) or not phases:
            raise ValueError("one global size per phase is needed")
        self.phases = list(phases)
        self.sizes = [int(s) for s in sizes]
        self._start = 0

    def __len__(self) -> int:
        return sum(len(p) for p in self.phases)

    def __iter__(self) -> Iterator[dict]:
        start, self._start = self._start, 0
        for phase in self.phases[start:]:
            yield from phase

    def _locate(self, num_samples: int) -> tuple[int, int]:
        offset = 0
        for index, size in enumerate(self.sizes):
            if num_samples < offset + size or index == len(self.sizes) - 1:
                return index, num_samples - offset
            offset += size
        raise AssertionError("unreachable")

    def state_dict(self, num_samples: int, from_beginning: bool) -> dict[str, Any]:
        index, within = self._locate(num_samples)
        return {"phase": index, "inner": self.phases[index].state_dict(within, from_beginning)}

    def load_state_dict(self, obj: dict[str, Any]) -> None:
        self._start = int(obj["phase"])
        self.phases[self._start].load_state_dict(obj["inner"])


class SplitSamples(IterableDataset):
    """A dataset whose stored samples each become ``k`` training rows."""

    def __init__(self, inner: Any, k: int):
        self.inner = inner
        self.k = k

    def __len__(self) -> int:
        return len(self.inner)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.inner)

    def state_dict(self, num_samples: int, from_beginning: bool) -> dict[str, Any]:
        return self.inner.state_dict(num_samples // self.k, from_beginning)

    def load_state_dict(self, obj: dict[str, Any]) -> None:
        self.inner.load_state_dict(obj)
