"""Checkpoints written after the last confirmed one (a kill mid-save) are set aside."""

from __future__ import annotations

import os

from training.checkpoints import checkpoints_by_batch, latest_confirmed, set_aside_unconfirmed


def test_unconfirmed_checkpoints_are_renamed_not_deleted(tmp_path):
    for batch in (4, 8, 12):
        (tmp_path / f"ep0-ba{batch}-rank0.pt").write_bytes(b"x" * batch)
    os.symlink(tmp_path / "ep0-ba8-rank0.pt", tmp_path / "latest-rank0.pt")
    moved = set_aside_unconfirmed(tmp_path)
    assert [p.name for p in moved] == ["ep0-ba12-rank0.pt.unconfirmed"]
    assert moved[0].read_bytes() == b"x" * 12
    assert sorted(checkpoints_by_batch(tmp_path)) == [4, 8]
    assert latest_confirmed(tmp_path).name == "ep0-ba8-rank0.pt"


def test_without_a_latest_link_every_checkpoint_is_unconfirmed(tmp_path):
    (tmp_path / "ep0-ba4-rank0.pt").write_bytes(b"partial")
    assert [p.name for p in set_aside_unconfirmed(tmp_path)] == ["ep0-ba4-rank0.pt.unconfirmed"]
    assert set_aside_unconfirmed(tmp_path / "missing") == []
