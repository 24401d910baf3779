"""Mixes and curricula over real MDS streams: token plan, Stream lists, observed proportions."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import yaml
from streaming import MDSWriter, StreamingDataset
from streaming.base.util import clean_stale_shared_memory

from data_pipeline.lakehouse.config import ConfigError
from flows.cli import main
from training.mix import build_streams, load_mix, token_plan

SEQ = 8
SIZES = {"wiki": 400, "parl": 200, "tweets": 50}


@pytest.fixture(scope="module")
def shard_set(tmp_path_factory):
    """A shard set as the tokenize stage lays it out; sample tokens say their stream."""
    root = tmp_path_factory.mktemp("mds") / "corpus"
    version = root / "v1"
    streams = {}
    for index, (name, n) in enumerate(SIZES.items()):
        with MDSWriter(
            out=str(version / name), columns={"tokens": "ndarray:uint16"}, compression="zstd"
        ) as writer:
            for i in range(n):
                writer.write({"tokens": np.full(SEQ, index * 1000 + i % 7, np.uint16)})
        streams[name] = {"sequences": n, "sources": {name: {"docs": n, "tokens": n * SEQ}}}
    manifest = {"seq_len": SEQ, "streams": streams}
    (version / "manifest.json").write_text(json.dumps(manifest))
    (root / "LATEST").write_text("v1\n")
    return root


def write_mix(tmp_path, shard_set, body: dict):
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump({"data": str(shard_set), **body}, sort_keys=False))
    return path


CURRICULUM = {
    "total_tokens": 2000 * SEQ,
    "phases": [
        {
            "name": "early",
            "duration": 0.75,
            "streams": {
                "wiki": {"proportion": 0.5},
                "parl": {"proportion": 0.3},
                "tweets": {"proportion": 0.2},
            },
        },
        {"name": "late", "duration": 0.25, "streams": {"wiki": {"repeat": 2}, "parl": {}}},
    ],
}


def test_two_phase_plan_tokens_and_epochs(tmp_path, shard_set):
    mix = load_mix(write_mix(tmp_path, shard_set, CURRICULUM))
    plan = token_plan(mix)
    early, late = plan.phase("early"), plan.phase("late")
    assert (early.samples, late.samples) == (1500, 500)
    assert {s.name: s.samples for s in early.streams} == {"wiki": 750, "parl": 450, "tweets": 300}
    # absolute weights: wiki repeat 2 -> 800 per epoch, parl natural 200 -> shares 0.8 / 0.2
    assert {s.name: s.samples for s in late.streams} == {"wiki": 400, "parl": 100}
    assert plan.total_tokens == 2000 * SEQ
    assert plan.stream_epochs["tweets"] == pytest.approx(300 / 50)
    assert plan.source_epochs["wiki"] == pytest.approx((750 + 400) / 400)
    streams = build_streams(mix, "late")
    assert [s.local for s in streams] == [str(shard_set / "v1" / n) for n in ("wiki", "parl")]
    assert streams[0].repeat == 2 and not hasattr(streams[1], "proportion")


def test_sampled_epoch_matches_the_planned_proportions(tmp_path, shard_set):
    clean_stale_shared_memory()
    mix = load_mix(write_mix(tmp_path, shard_set, CURRICULUM))
    phase = token_plan(mix).phase("early")
    dataset = StreamingDataset(
        streams=build_streams(mix, "early", cache_dir=tmp_path / "cache"),
        epoch_size=phase.samples,
        shuffle=True,
        shuffle_seed=7,
        batch_size=10,
        predownload=16,
    )
    seen = Counter(int(sample["tokens"][0]) // 1000 for sample in dataset)
    total = sum(seen.values())
    assert total == phase.samples
    for index, plan in enumerate(phase.streams):
        assert seen[index] / total == pytest.approx(plan.share, abs=0.01)
    assert not list(shard_set.rglob("*.mds")), "the shard set itself is left untouched"


def test_bad_mixes_are_refused_with_the_file_name(tmp_path, shard_set):
    mixed = {"streams": {"wiki": {"proportion": 1.0}, "parl": {"repeat": 2}}}
    with pytest.raises(ConfigError, match=r"mix\.yaml.*proportion for every stream"):
        load_mix(write_mix(tmp_path, shard_set, mixed))
    bad_sum = {"phases": [{"name": "a", "duration": 0.5, "streams": {"wiki": {}}}]}
    with pytest.raises(ConfigError, match="sum to 1"):
        load_mix(write_mix(tmp_path, shard_set, bad_sum))
    unknown = load_mix(write_mix(tmp_path, shard_set, {"streams": {"nope": {"choose": 5}}}))
    with pytest.raises(ConfigError, match=r"\['nope'\] are not in"):
        token_plan(unknown)


def test_cli_prints_the_plan_and_the_streams(tmp_path, shard_set, capsys):
    path = write_mix(tmp_path, shard_set, CURRICULUM)
    assert main(["mix", "show", str(path), "--tokens", str(4000 * SEQ)]) == 0
    out = capsys.readouterr().out
    assert "phase early: duration 75%, 24,000 tokens, 3,000 sequences" in out
    assert "source tweets" in out and "Stream(local=" in out
