"""Checkpoints pushed to and pulled from an object store (fsspec's in-memory one here; the real
S3 server is in tests/cluster/test_training_remote.py)."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from data_pipeline.lakehouse import storage
from training.checkpoint_sync import POINTER, pull_latest, push, remote_checkpoints, remote_latest
from training.checkpoints import latest_confirmed


@pytest.fixture
def remote():
    uri = f"memory://bucket/{uuid.uuid4().hex}/checkpoints"
    yield uri
    storage.remove_tree(uri)


def _save(folder, batch: int, confirm: bool = True) -> None:
    """What Composer does: write the checkpoint, then move the latest link to it."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"ep0-ba{batch}-rank0.pt"
    (folder / name).write_bytes(b"state at %d" % batch)
    if confirm:
        link = folder / "latest-rank0.pt"
        link.unlink(missing_ok=True)
        os.symlink(name, link)


def test_only_confirmed_checkpoints_are_pushed_and_the_pointer_moves_last(tmp_path, remote):
    local = tmp_path / "checkpoints"
    assert push(local, remote) == [] and remote_latest(remote) is None
    _save(local, 4)
    _save(local, 8)
    _save(local, 12, confirm=False)  # killed between the write and the link
    pushed = push(local, remote)
    assert [storage.basename(u) for u in pushed] == ["ep0-ba4-rank0.pt", "ep0-ba8-rank0.pt"]
    assert remote_latest(remote) == f"{remote}/ep0-ba8-rank0.pt"
    assert storage.read_text(f"{remote}/{POINTER}") == f"{remote.split('://')[1]}/ep0-ba8-rank0.pt"
    assert push(local, remote) == []  # nothing new: nothing uploaded again
    _save(local, 12)
    assert push(local, remote, keep=2) == [f"{remote}/ep0-ba12-rank0.pt"]
    assert sorted(remote_checkpoints(remote)) == [8, 12]
    assert storage.read_bytes(remote_latest(remote)) == b"state at 12"


def test_a_new_machine_pulls_the_remote_latest_and_autoresume_sees_it(tmp_path, remote):
    _save(tmp_path / "a", 4)
    _save(tmp_path / "a", 8)
    push(tmp_path / "a", remote)
    fresh = tmp_path / "b"
    pulled = pull_latest(remote, fresh)
    assert pulled == fresh / "ep0-ba8-rank0.pt" and pulled.read_bytes() == b"state at 8"
    assert latest_confirmed(fresh) == pulled
    assert pull_latest(remote, fresh) is None  # already as new
    _save(tmp_path / "c", 12)  # a machine that got further than the bucket keeps its own
    assert pull_latest(remote, tmp_path / "c") is None
    assert latest_confirmed(tmp_path / "c").name == "ep0-ba12-rank0.pt"
    assert not [p for p in fresh.iterdir() if ".download-" in p.name]


def test_a_pointer_to_a_missing_object_is_an_error_naming_it(tmp_path, remote):
    storage.write_text(f"{remote}/{POINTER}", f"{remote.split('://')[1]}/ep0-ba4-rank0.pt")
    with pytest.raises(FileNotFoundError, match=re.escape("ep0-ba4-rank0.pt")):
        pull_latest(remote, tmp_path / "x")
    assert not list((tmp_path / "x").glob("ep*"))
