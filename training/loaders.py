"""The recipe's train and eval data for Composer: ``DataSpec`` and ``Evaluator``.

Plain shards give one ``StreamingDataset`` over every stream at its natural size. A mix YAML
gives the streams' proportions and curriculum phases: each phase is a ``StreamingDataset`` over
that phase's streams sized to its share of the run, and ``PhasedDataset`` plays them in order
(one Composer epoch = the whole curriculum), so resumption works mid-phase.

Stored sequences longer than ``seq_len`` (the shard set's ``manifest.json`` says how long, or
``data.sample_len``) are cut into ``k = sample_len / seq_len`` rows when ``long_samples:
split`` (the default; ``global_batch_size`` counts rows, so it must hold whole stored
sequences); otherwise they are truncated and the cut tokens counted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composer.core import DataSpec, Evaluator

from data_pipeline.lakehouse import storage
from training.data import (
    TokenCollator,
    count_samples,
    dataloader,
    make_streams,
    stream_dirs,
    streaming_dataset,
    tokens_in_batch,
)
from training.datasets import PhasedDataset, SplitSamples
from training.recipe import Recipe

log = logging.getLogger(__name__)


@dataclass
class TrainData:
    """What the trainer needs: the DataSpec, the epoch size in stored samples, the phases."""

    spec: DataSpec
    samples_per_epoch: int
    rows_per_sample: int
    phases: list[dict]


def collator(recipe: Recipe, pad_token_id: int, rows: int = 1, digests: bool = False):
    pad = recipe.data.pad_token_id
    return TokenCollator(
        recipe.seq_len,
        pad_token_id=pad if pad is not None else pad_token_id,
        tokens_column=recipe.data.tokens_column,
        loss_mask_column=recipe.data.loss_mask_column,
        digests=digests,
        rows_per_sample=rows,
    )


def _manifest_seq_len(folder: str | Path) -> int | None:
    manifest = storage.join(str(folder), "manifest.json")
    if storage.is_file(manifest):
        return int(json.loads(storage.read_text(manifest)).get("seq_len") or 0) or None
    return None


def stored_length(recipe: Recipe, root: str | None = None) -> int | None:
    """Tokens per stored sequence: ``data.sample_len``, else the shard set's manifest."""
    if recipe.data.sample_len:
        return recipe.data.sample_len
    if root is None and recipe.data.mix:
        from training.mix import data_dir, load_mix

        return _manifest_seq_len(data_dir(load_mix(recipe.data.mix)))
    root = root or recipe.data.shards
    if root is None:
        return None
    try:
        streams = stream_dirs(root, recipe.data.split)
    except FileNotFoundError:
        streams = []
    parents = sorted({storage.parent(s) for s in streams} | {storage.absolute(root)})
    return next((n for n in map(_manifest_seq_len, parents) if n), None)


def rows_per_sample(recipe: Recipe, device_batch: int, length: int | None) -> int:
    """``k`` rows per stored sequence (1 when not split); checks the batch holds whole ones."""
    seq = recipe.seq_len
    if length is None or length <= seq or recipe.data.long_samples == "truncate":
        return 1
    if length % seq:
        log.warning(
            "stored sequences of %d tokens are not a multiple of seq_len %d: the remainder of "
            "each is truncated (counted as data/truncated_tokens)",
            length,
            seq,
        )
    k = length // seq
    if device_batch % k:
        raise ValueError(
            f"{recipe.origin}: stored sequences of {length} tokens make {k} rows of seq_len {seq}; "
            f"the per-device batch ({device_batch} rows) must be a multiple of {k} "
            "(or set data.long_samples: truncate)"
        )
    return k


def phase_plan(
    recipe: Recipe, total_batches: int | None, cache: Path, rows: int
) -> list[tuple[str, list, int | None]]:
    """[(phase name, streams, stored samples or None)]: one unsized phase for plain shards;
    for a mix, each phase's share (``duration``) of the run, in whole batches. Each phase gets
    its own cache folder (streaming refuses two datasets sharing local folders)."""
    data = recipe.data
    if data.shards:
        return [("all", make_streams(data.shards, data.split, cache / "all"), None)]
    from training.mix import build_streams, load_mix

    mix = load_mix(str(data.mix))
    if total_batches is None:
        if len(mix.phases) > 1:
            raise ValueError(
                f"{recipe.origin}: curriculum phases need a duration in batches, tokens or samples"
            )
        name = mix.phases[0].name
        return [(name, build_streams(mix, 0, cache_dir=cache / name), None)]
    batches = [round(total_batches * p.duration) for p in mix.phases]
    batches[-1] = total_batches - sum(batches[:-1])
    if min(batches) < 1:
        raise ValueError(f"{recipe.origin}: a phase of {data.mix} gets no batch in {total_batches}")
    per_batch = recipe.global_batch_size // rows
    return [
        (p.name, build_streams(mix, i, cache_dir=cache / p.name), b * per_batch)
        for i, (p, b) in enumerate(zip(mix.phases, batches, strict=True))
    ]


def build_train_data(
    recipe: Recipe, device_batch: int, pad_token_id: int, cache: Path, digests: bool = False
) -> TrainData:
    """The training DataSpec (token counting included); compressed shards are decompressed
    under ``cache``."""
    rows = rows_per_sample(recipe, device_batch, stored_length(recipe))
    per_device = device_batch // rows
    plan = phase_plan(recipe, recipe.total_batches(), cache, rows)
    datasets: list = []
    phases: list[dict[str, Any]] = []
    for name, streams, samples in plan:
        dataset = streaming_dataset(
            streams, per_device, recipe.data.shuffle, recipe.data, epoch_size=samples
        )
        datasets.append(dataset)
        size = samples if samples is not None else count_samples(streams)
        folders = [s.remote or s.local for s in streams]
        phases.append({"name": name, "samples": size, "streams": folders})
    dataset = (
        datasets[0]
        if len(datasets) == 1
        else PhasedDataset(datasets, [p["samples"] for p in phases])
    )
    if rows > 1:
        dataset = SplitSamples(dataset, rows)
    loader = dataloader(
        dataset, per_device, collator(recipe, pad_token_id, rows, digests), recipe.data.num_workers
    )
    spec = DataSpec(loader, get_num_tokens_in_batch=tokens_in_batch)
    return TrainData(spec, sum(p["samples"] for p in phases), rows, phases)


def build_evaluator(
    recipe: Recipe, device_batch: int, pad_token_id: int, cache: Path
) -> Evaluator | None:
    """Eval over ``eval_shards`` (or the ``eval_split`` of the training shards), if any."""
    data = recipe.data
    root = data.eval_shards or (data.shards if data.eval_split else None)
    if root is None:
        return None
    rows = rows_per_sample(recipe, device_batch, stored_length(recipe, root))
    streams = make_streams(root, data.eval_split, cache / "eval")
    dataset = streaming_dataset(streams, device_batch // rows, False, data)
    if rows > 1:
        dataset = SplitSamples(dataset, rows)
    loader = dataloader(
        dataset, device_batch // rows, collator(recipe, pad_token_id, rows), 0, drop_last=False
    )
    return Evaluator(
        label="eval",
        dataloader=DataSpec(loader, get_num_tokens_in_batch=tokens_in_batch),
        metric_names=["LanguageCrossEntropy", "LanguagePerplexity"],
        subset_num_batches=data.eval_batches,
    )
