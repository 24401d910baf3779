"""Data mixing and curriculum over the MDS streams written by the ``tokenize`` stage.

A mix YAML names a shard set and weights its streams, in one phase or several::

    data: ../../artifacts/mds/corpus     # shard set (folder or URI; its LATEST) or one version
    total_tokens: 50_000_000            # training budget; default: one pass over the data
    phases:
      - {name: early, duration: 0.7, streams: {wiki_en: {proportion: 0.4}, parliament: {...}}}
      - {name: late,  duration: 0.3, streams: {wiki_en: {proportion: 0.7}, ...}}

Each stream takes exactly one of streaming's weights: ``proportion`` (relative share),
``repeat`` (times its size) or ``choose`` (sequences per epoch); a phase uses either proportions
only or repeat/choose only (streaming's rule). A top-level ``streams:`` is a one-phase mix.
``duration`` is the share of the training tokens spent in a phase (shares sum to 1).

``token_plan`` turns a mix into tokens per stream per phase and effective epochs per stream and
per source, using ``streaming.Stream.apply_weights`` so the plan is what StreamingDataset draws.
``build_streams(mix, phase)`` gives the ``streaming.Stream`` list of one phase; give
``PhasePlan.samples`` as the dataset's ``epoch_size`` to draw exactly the planned tokens.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator

from data_pipeline.lakehouse import storage
from data_pipeline.lakehouse.config import ConfigError, StrictModel, load_model, resolve_path
from training.shard_index import read_index, stream_dirs

MANIFEST = "manifest.json"
LATEST = "LATEST"


class StreamWeight(StrictModel):
    """One stream's weight: at most one of proportion, repeat (x size) or choose (sequences)."""

    proportion: float | None = Field(default=None, ge=0)
    repeat: float | None = Field(default=None, ge=0)
    choose: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> StreamWeight:
        if sum(v is not None for v in (self.proportion, self.repeat, self.choose)) > 1:
            raise ValueError("give at most one of proportion, repeat, choose")
        return self

    def describe(self) -> str:
        for key in ("proportion", "repeat", "choose"):
            if getattr(self, key) is not None:
                return f"{key}={getattr(self, key):g}"
        return "natural"


class Phase(StrictModel):
    """A curriculum phase: its share of the training tokens and its stream weights."""

    name: str
    duration: float = Field(gt=0, le=1)
    streams: dict[str, StreamWeight]

    @model_validator(mode="after")
    def _consistent(self) -> Phase:
        if not self.streams:
            raise ValueError(f"phase {self.name!r} has no streams")
        relative = {w.proportion is not None for w in self.streams.values()}
        if len(relative) > 1:
            raise ValueError(
                f"phase {self.name!r}: use proportion for every stream or for none "
                "(streaming cannot mix relative and absolute weights)"
            )
        return self


class MixConfig(StrictModel):
    """A typed mix file; ``data`` resolves against the YAML file's folder."""

    data: str
    version: str = "latest"
    total_tokens: int | None = Field(default=None, gt=0)
    seq_len: int | None = Field(default=None, gt=0, description="only when no manifest.json")
    seed: int = 9176
    streams: dict[str, StreamWeight] = Field(default_factory=dict)
    phases: list[Phase] = Field(default_factory=list)

    @model_validator(mode="after")
    def _phases(self) -> MixConfig:
        if self.streams and self.phases:
            raise ValueError("give either top-level streams (one phase) or phases, not both")
        if self.streams:
            self.phases = [Phase(name="main", duration=1.0, streams=self.streams)]
            self.streams = {}
        if not self.phases:
            raise ValueError("a mix needs streams or phases")
        total = sum(p.duration for p in self.phases)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"phase durations must sum to 1, got {total:g}")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError(f"phase names must be unique: {names}")
        return self

    def phase(self, phase: str | int | Phase) -> Phase:
        if isinstance(phase, Phase):
            return phase
        if isinstance(phase, int):
            return self.phases[phase]
        for p in self.phases:
            if p.name == phase:
                return p
        raise KeyError(f"no phase {phase!r}; phases: {[p.name for p in self.phases]}")


def load_mix(path: str | Path) -> MixConfig:
    """Read a mix YAML; ``data`` becomes an absolute path."""
    mix = load_model(MixConfig, path)
    mix.data = resolve_path(Path(path).resolve().parent, mix.data)
    return mix


@dataclass(frozen=True)
class StreamInfo:
    """What a shard set holds for one stream: its folder, sequences, tokens, and per source."""

    name: str
    local: str
    samples: int
    tokens: int
    sources: dict[str, int] = field(default_factory=dict)


def data_dir(mix: MixConfig) -> str:
    """The version folder of the shard set (a local path or a URI): ``data`` itself, its
    ``version`` or its LATEST."""
    root = storage.absolute(mix.data)
    if storage.is_file(storage.join(root, MANIFEST)):
        return root
    if mix.version != "latest":
        return storage.join(root, mix.version)
    if storage.is_file(storage.join(root, LATEST)):
        return storage.join(root, storage.read_text(storage.join(root, LATEST)).strip())
    if storage.list_files(root):
        return root
    raise FileNotFoundError(f"mix data {root} not found; run the tokenize stage first")


def stream_infos(mix: MixConfig) -> dict[str, StreamInfo]:
    """Streams of the shard set, from its manifest (or each stream's index.json)."""
    root = data_dir(mix)
    manifest = storage.join(root, MANIFEST)
    if storage.is_file(manifest):
        data = json.loads(storage.read_text(manifest))
        return {
            name: StreamInfo(
                name,
                storage.join(root, name),
                int(s["sequences"]),
                int(s["sequences"]) * int(data["seq_len"]),
                {src: int(v["tokens"]) for src, v in s.get("sources", {}).items()},
            )
            for name, s in sorted(data["streams"].items())
        }
    if mix.seq_len is None:
        raise ConfigError(f"{root}: no {MANIFEST}; give seq_len in the mix file")
    out = {}
    for folder in stream_dirs(root):
        samples = sum(int(s["samples"]) for s in read_index(folder)["shards"])
        name = storage.basename(folder)
        out[name] = StreamInfo(name, folder, samples, samples * mix.seq_len)
    return out


def phase_streams(
    mix: MixConfig, phase: str | int | Phase
) -> list[tuple[StreamInfo, StreamWeight]]:
    """The phase's streams and weights, in the mix's order (what ``build_streams`` builds)."""
    return _streams_of(mix, mix.phase(phase))


def _streams_of(mix: MixConfig, phase: Phase) -> list[tuple[StreamInfo, StreamWeight]]:
    infos = stream_infos(mix)
    missing = sorted(set(phase.streams) - set(infos))
    if missing:
        raise ConfigError(
            f"phase {phase.name!r}: streams {missing} are not in {data_dir(mix)}; "
            f"streams there: {sorted(infos)}"
        )
    return [(infos[name], weight) for name, weight in phase.streams.items()]


def build_streams(
    mix: MixConfig, phase: str | int | Phase = 0, cache_dir: str | Path | None = None
) -> list:
    """``streaming.Stream`` objects with the phase's weights, in the mix's order.

    Without ``cache_dir`` a stream reads the shard folder in place (streaming then writes
    decompressed copies next to the ``.zstd`` shards); with it the shard folder is the stream's
    ``remote`` and shards are copied and decompressed under ``cache_dir/<version>/<stream>``,
    leaving the registered artifact untouched.
    """
    from streaming import Stream

    phase = mix.phase(phase)
    streams = []
    version = storage.basename(data_dir(mix))
    for info, w in _streams_of(mix, phase):
        remote, local = None, info.local
        if cache_dir is not None:
            remote, local = info.local, str(Path(cache_dir) / version / info.name)
        elif storage.is_remote(info.local):
            raise ValueError(f"{info.local}: streams in an object store need a cache_dir")
        streams.append(
            Stream(
                remote=remote,
                local=local,
                proportion=w.proportion,
                repeat=w.repeat,
                choose=w.choose,
            )
        )
    return streams


@dataclass
class StreamPlan:
    """One stream in one phase: its weight, share of the phase, sequences and tokens drawn."""

    name: str
    weight: str
    share: float
    samples: int
    tokens: int
    epochs: float


@dataclass
class PhasePlan:
    name: str
    duration: float
    tokens: int
    samples: int
    streams: list[StreamPlan]


@dataclass
class TokenPlan:
    """Tokens per stream per phase, and effective epochs per stream and per source."""

    seq_len: int
    total_tokens: int
    phases: list[PhasePlan]
    stream_epochs: dict[str, float]
    source_epochs: dict[str, float]

    def phase(self, name: str) -> PhasePlan:
        return next(p for p in self.phases if p.name == name)

    def format(self) -> str:
        lines = [f"total {self.total_tokens:,} tokens, sequences of {self.seq_len} tokens"]
        for p in self.phases:
            lines.append(
                f"\nphase {p.name}: duration {p.duration:.0%}, {p.tokens:,} tokens, "
                f"{p.samples:,} sequences (epoch_size)"
            )
            lines.append(f"  {'stream':<24}{'weight':<18}{'share':>7}{'tokens':>16}{'epochs':>9}")
            for s in p.streams:
                lines.append(
                    f"  {s.name:<24}{s.weight:<18}{s.share:>7.1%}{s.tokens:>16,}{s.epochs:>9.2f}"
                )
        lines.append("\neffective epochs over the whole run")
        for name, epochs in sorted(self.stream_epochs.items()):
            lines.append(f"  stream {name:<24}{epochs:>9.2f}")
        for name, epochs in sorted(self.source_epochs.items()):
            lines.append(f"  source {name:<24}{epochs:>9.2f}")
        return "\n".join(lines)


def token_plan(mix: MixConfig, total_tokens: int | None = None) -> TokenPlan:
    """Plan the run: ``total_tokens`` (else the mix's, else one pass over all streams)."""
    from training.mix_weights import phase_shares

    infos = stream_infos(mix)
    seq_len = _seq_len(mix, infos)
    total = total_tokens or mix.total_tokens or sum(i.tokens for i in infos.values())
    consumed = dict.fromkeys(infos, 0)
    phases = []
    for index, phase in enumerate(mix.phases):
        pairs = _streams_of(mix, phase)
        phase_samples = max(1, round(total * phase.duration / seq_len))
        available = np.array([max(1, i.samples) for i, _ in pairs], np.int64)
        shares = phase_shares([w for _, w in pairs], available)
        draws = _split(phase_samples, shares, mix.seed + index)
        plans = []
        for (info, weight), share, n in zip(pairs, shares, draws, strict=True):
            consumed[info.name] += int(n)
            plans.append(
                StreamPlan(
                    info.name,
                    weight.describe(),
                    float(share),
                    int(n),
                    int(n) * seq_len,
                    n / max(1, info.samples),
                )
            )
        phases.append(
            PhasePlan(phase.name, phase.duration, phase_samples * seq_len, phase_samples, plans)
        )
    stream_epochs = {n: consumed[n] / max(1, infos[n].samples) for n in infos}
    planned = sum(p.tokens for p in phases)
    source_epochs = _source_epochs(infos, consumed, seq_len)
    return TokenPlan(seq_len, planned, phases, stream_epochs, source_epochs)


def _seq_len(mix: MixConfig, infos: dict[str, StreamInfo]) -> int:
    manifest = storage.join(data_dir(mix), MANIFEST)
    if storage.is_file(manifest):
        return int(json.loads(storage.read_text(manifest))["seq_len"])
    if mix.seq_len is None:
        raise ConfigError("no manifest.json and no seq_len in the mix")
    return mix.seq_len


def _split(total: int, shares: np.ndarray, seed: int) -> np.ndarray:
    """Integer counts summing to ``total`` in the given shares (remainder spread at random)."""
    counts = np.floor(total * shares / shares.sum()).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        rng = np.random.default_rng(seed)
        counts[rng.choice(len(counts), short, replace=False)] += 1
    return counts


def _source_epochs(
    infos: dict[str, StreamInfo], consumed: dict[str, int], seq_len: int
) -> dict[str, float]:
    """Tokens drawn from a stream are spread over its sources by their token shares."""
    drawn: dict[str, float] = {}
    have: dict[str, int] = {}
    for name, info in infos.items():
        total = sum(info.sources.values())
        for source, tokens in info.sources.items():
            have[source] = have.get(source, 0) + tokens
            drawn[source] = drawn.get(source, 0.0) + consumed[name] * seq_len * tokens / total
    return {s: drawn[s] / have[s] for s in sorted(have) if have[s]}
