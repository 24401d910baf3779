"""The recipe's train and eval data for Composer: ``DataSpec`` and ``Evaluator``.

Plain shards give one ``StreamingDataset`` over every stream at its natural size. A mix YAML
gives the streams' proportions and curriculum phases: each phase is a ``StreamingDataset`` over
that phase's streams sized to its share of the run, and ``PhasedDataset`` plays them in order
(one Composer epoch = the whole curriculum), so resumption works mid-phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from composer.core import DataSpec, Evaluator

from training.data import (
    TokenCollator,
    count_samples,
    dataloader,
    make_streams,
    streaming_dataset,
    tokens_in_batch,
)
from training.recipe import Recipe


@dataclass
class TrainData:
    """What the trainer needs: the DataSpec, the epoch size in samples and the phases' plan."""

    spec: DataSpec
    samples_per_epoch: int
    phases: list[dict]


def collator(recipe: Recipe, pad_token_id: int, digests: bool = False) -> TokenCollator:
    return TokenCollator(
        recipe.seq_len,
        pad_token_id=recipe.data.pad_token_id
        if recipe.data.pad_token_id is not None
        else pad_token_id,
        tokens_column=recipe.data.tokens_column,
        loss_mask_column=recipe.data.loss_mask_column,
        digests=digests,
    )


def phase_plan(
    recipe: Recipe, total_batches: int | None, cache: Path
) -> list[tuple[str, list, int | None]]:
    """[(phase name, streams, samples or None)]: one unsized phase for plain shards; for a mix,
    each phase's share (``duration``) of the run's batches, in whole batches. Each phase gets
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
    return [
        (p.name, build_streams(mix, i, cache_dir=cache / p.name), b * recipe.global_batch_size)
        for i, (p, b) in enumerate(zip(mix.phases, batches, strict=True))
    ]


def build_train_data(
    recipe: Recipe, device_batch: int, pad_token_id: int, cache: Path, digests: bool = False
) -> TrainData:
    """The training DataSpec (token counting included) and its epoch size; compressed shards
    are decompressed under ``cache``."""
    plan = phase_plan(recipe, recipe.total_batches(), cache)
    datasets, phases = [], []
    for name, streams, samples in plan:
        dataset = streaming_dataset(
            streams, device_batch, recipe.data.shuffle, recipe.data, epoch_size=samples
        )
        datasets.append(dataset)
        size = samples if samples is not None else count_samples(streams)
        folders = [s.remote or s.local for s in streams]
        phases.append({"name": name, "samples": size, "streams": folders})
    if len(datasets) == 1:
        dataset = datasets[0]
    else:
        from training.phases import PhasedDataset

        dataset = PhasedDataset(datasets)
    loader = dataloader(
        dataset, device_batch, collator(recipe, pad_token_id, digests), recipe.data.num_workers
    )
    spec = DataSpec(loader, get_num_tokens_in_batch=tokens_in_batch)
    return TrainData(spec, sum(p["samples"] for p in phases), phases)


def build_evaluator(
    recipe: Recipe, device_batch: int, pad_token_id: int, cache: Path
) -> Evaluator | None:
    """Eval over ``eval_shards`` (or the ``eval_split`` of the training shards), if any."""
    data = recipe.data
    root = data.eval_shards or (data.shards if data.eval_split else None)
    if root is None:
        return None
    streams = make_streams(root, data.eval_split, cache / "eval")
    dataset = streaming_dataset(streams, device_batch, False, data)
    loader = dataloader(dataset, device_batch, collator(recipe, pad_token_id), 0)
    return Evaluator(
        label="eval",
        dataloader=DataSpec(loader, get_num_tokens_in_batch=tokens_in_batch),
        metric_names=["LanguageCrossEntropy", "LanguagePerplexity"],
        subset_num_batches=data.eval_batches,
    )
