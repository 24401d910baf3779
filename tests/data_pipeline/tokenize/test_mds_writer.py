"""ShardWriter writes the very bytes streaming's MDSWriter writes, and streaming reads them."""

from __future__ import annotations

import numpy as np
import pytest
from streaming import MDSWriter, StreamingDataset
from streaming.base.util import clean_stale_shared_memory

from data_pipeline.tokenize.mds_writer import ShardWriter


def _samples(seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for n in (1, 7, 255, 256, 300, 2048, 70_000, 5, 40):  # every shape-dtype size class
        out.append(
            {
                "tokens": rng.integers(0, 49152, n).astype(np.uint16),
                "loss_mask": rng.integers(0, 2, n).astype(np.uint8),
            }
        )
    return out


@pytest.mark.parametrize("compression", ["zstd", None, "zstd:7"])
def test_byte_identical_to_mdswriter(tmp_path, compression):
    columns = {"tokens": "ndarray:uint16", "loss_mask": "ndarray:uint8"}
    args = {"compression": compression, "hashes": ["sha1", "xxh64"], "size_limit": 100_000}
    with MDSWriter(out=str(tmp_path / "ref"), columns=columns, **args) as ref:
        for sample in _samples():
            ref.write(sample)
    with ShardWriter(str(tmp_path / "ours"), columns, **args) as ours:
        for sample in _samples():
            ours.write(sample)
    ref_files = sorted(p.name for p in (tmp_path / "ref").iterdir())
    assert ref_files == sorted(p.name for p in (tmp_path / "ours").iterdir())
    assert len(ref_files) > 3  # the size limit split the samples over several shards
    for name in ref_files:
        assert (tmp_path / "ref" / name).read_bytes() == (tmp_path / "ours" / name).read_bytes()


def test_streaming_reads_it_back(tmp_path):
    clean_stale_shared_memory()
    columns = {"tokens": "ndarray:int32"}
    with ShardWriter(str(tmp_path / "s"), columns, hashes=["xxh64"], size_limit=4096) as w:
        for i in range(50):
            w.write({"tokens": np.arange(i, i + 100, dtype=np.int32)})
    dataset = StreamingDataset(local=str(tmp_path / "s"), shuffle=False, batch_size=5)
    got = [dataset[i]["tokens"] for i in range(dataset.num_samples)]
    assert len(got) == 50
    assert all(np.array_equal(g, np.arange(i, i + 100)) for i, g in enumerate(got))
    with pytest.raises(ValueError, match="only ndarray"):
        ShardWriter(str(tmp_path / "x"), {"text": "str"})
