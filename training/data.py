"""Token sequences from MDS shards into Composer: streams, datasets, collation, dataloaders.

A shard folder (a local path or an object-store URI such as ``s3://bucket/mds/corpus``; read
through ``data_pipeline.lakehouse.storage``) is either one MDS stream (it holds ``index.json``, or
``<split>/index.json``) or a folder of streams, one sub-folder per source (the tokenize stage's
layout); each becomes a ``streaming.Stream`` with its natural proportion. A mix YAML
(``training.mix``) gives proportions and curriculum phases instead (see ``training.phases``).

Each sample holds a ``tokens`` array; SFT samples also a loss-mask array (1 = the token counts
in the loss). Sequences longer than ``seq_len`` are truncated and the cut tokens are counted in
the batch (``truncated_tokens``, logged as ``data/truncated_tokens``); shorter ones are padded
with label -100 and attention mask 0.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from data_pipeline.lakehouse import storage
from training.shard_index import read_index, stream_dirs

IGNORE_INDEX = -100


def is_compressed(stream: str, split: str | None = None) -> bool:
    """True when any shard of the stream is stored compressed (e.g. the tokenize stage's zstd)."""
    return any(shard.get("zip_data") for shard in read_index(stream, split)["shards"])


def make_streams(root: str | Path, split: str | None = None, cache: Path | None = None) -> list:
    """One ``streaming.Stream`` per stream folder.

    Uncompressed local streams are read in place. Compressed ones, given a ``cache`` folder,
    and streams in an object store are the stream's ``remote``: streaming copies (and
    decompresses) their shards under ``cache/<stream>`` and leaves the registered folder
    untouched (read in place, it would write decompressed shards into it).
    """
    from streaming import Stream

    streams = []
    for path in stream_dirs(root, split):
        if storage.is_remote(path):
            if cache is None:
                raise ValueError(f"{path}: streams in an object store need a local cache folder")
            streams.append(
                Stream(remote=path, local=str(cache / storage.basename(path)), split=split)
            )
        elif cache is not None and is_compressed(path, split):
            streams.append(
                Stream(remote=path, local=str(cache / storage.basename(path)), split=split)
            )
        else:
            streams.append(Stream(local=path, split=split))
    return streams


def count_samples(streams: Sequence) -> int:
    """Samples in the streams' indexes (without opening shards)."""
    return sum(
        int(s["samples"])
        for stream in streams
        for s in read_index(stream.remote or stream.local, stream.split)["shards"]
    )


class TokenCollator:
    """Stacks MDS samples into ``input_ids``/``labels`` (+``attention_mask`` when padded).

    ``loss_mask_column``: labels are -100 where the mask is 0 (prompt tokens in SFT).
    ``digests``: add a CRC32 per row (``sample_digest``) for the sample ledger.
    ``rows_per_sample``: cut each stored sequence into this many rows of ``seq_len``.
    """

    def __init__(
        self,
        seq_len: int,
        pad_token_id: int = 0,
        tokens_column: str = "tokens",
        loss_mask_column: str | None = None,
        digests: bool = False,
        rows_per_sample: int = 1,
    ):
        self.seq_len = seq_len
        self.rows_per_sample = rows_per_sample
        self.pad = pad_token_id
        self.tokens_column = tokens_column
        self.loss_mask_column = loss_mask_column
        self.digests = digests

    def _rows(self, samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each stored sample cut into ``rows_per_sample`` rows (the rest stays on the last)."""
        k, seq = self.rows_per_sample, self.seq_len
        if k == 1:
            return samples
        out = []
        for sample in samples:
            for j in range(k):
                end = (j + 1) * seq if j < k - 1 else None
                out.append(
                    {
                        key: value[j * seq : end] if isinstance(value, np.ndarray) else value
                        for key, value in sample.items()
                    }
                )
        return out

    def __call__(self, samples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        samples = self._rows(samples)
        rows, seq = len(samples), self.seq_len
        ids = np.full((rows, seq), self.pad, dtype=np.int64)
        labels = np.full((rows, seq), IGNORE_INDEX, dtype=np.int64)
        lengths = np.zeros(rows, dtype=np.int64)
        truncated = np.zeros(rows, dtype=np.int64)
        digest = np.zeros(rows, dtype=np.int64)
        for i, sample in enumerate(samples):
            tokens = np.asarray(sample[self.tokens_column])
            if self.digests:
                digest[i] = zlib.crc32(tokens.astype(np.int64).tobytes())
            n = min(len(tokens), seq)
            truncated[i] = len(tokens) - n
            lengths[i] = n
            ids[i, :n] = tokens[:n]
            labels[i, :n] = tokens[:n]
            if self.loss_mask_column is not None:
                if self.loss_mask_column not in sample:
                    raise KeyError(
                        f"sample has no loss-mask column {self.loss_mask_column!r}; columns: "
                        f"{sorted(sample)} (set data.loss_mask_column)"
                    )
                mask = np.asarray(sample[self.loss_mask_column])[:n]
                labels[i, :n][mask == 0] = IGNORE_INDEX
        batch = {
            "input_ids": torch.from_numpy(ids),
            "labels": torch.from_numpy(labels),
            "truncated_tokens": torch.from_numpy(truncated),
        }
        if (lengths < seq).any():
            positions = np.arange(seq)[None, :]
            batch["attention_mask"] = torch.from_numpy(
                (positions < lengths[:, None]).astype(np.int64)
            )
        if self.digests:
            batch["sample_digest"] = torch.from_numpy(digest)
        return batch


def tokens_in_batch(batch: dict[str, torch.Tensor]) -> int:
    """Real (non-padding) tokens of a batch, for Composer's token count."""
    mask = batch.get("attention_mask")
    return int(mask.sum()) if mask is not None else int(batch["input_ids"].numel())


def streaming_dataset(
    streams: list,
    device_batch: int,
    shuffle: bool,
    spec,
    epoch_size: int | None = None,
):
    """A ``StreamingDataset`` over ``streams`` with the recipe's shuffle settings."""
    from streaming import StreamingDataset

    return StreamingDataset(
        streams=streams,
        batch_size=device_batch,
        shuffle=shuffle,
        shuffle_algo=spec.shuffle_algo,
        shuffle_seed=spec.shuffle_seed,
        shuffle_block_size=spec.shuffle_block_size,
        num_canonical_nodes=spec.num_canonical_nodes,
        epoch_size=epoch_size,
        replication=None,
    )


def dataloader(
    dataset, device_batch: int, collator: TokenCollator, num_workers: int, drop_last: bool = True
):
    """A torch DataLoader over a streaming dataset (streaming does the per-rank split).
    Training drops a last partial batch (every step has the global batch); eval keeps it."""
    from torch.utils.data import DataLoader

    return DataLoader(
        dataset,
        batch_size=device_batch,
        collate_fn=collator,
        num_workers=num_workers,
        drop_last=drop_last,
        persistent_workers=num_workers > 0,
        pin_memory=torch.cuda.is_available(),
    )
