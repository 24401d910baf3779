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


def test_prune_keeps_the_newest_and_the_latest_link_target(tmp_path):
    from training.checkpoints import prune

    for batch in (4, 8, 12, 16):  # 4 and 8 from an attempt before a resume
        (tmp_path / f"ep0-ba{batch}-rank0.pt").write_bytes(b"x")
    os.symlink(tmp_path / "ep0-ba16-rank0.pt", tmp_path / "latest-rank0.pt")
    removed = prune(tmp_path, 1)
    assert sorted(p.name for p in removed) == sorted(
        ["ep0-ba4-rank0.pt", "ep0-ba8-rank0.pt", "ep0-ba12-rank0.pt"]
    )
    assert sorted(checkpoints_by_batch(tmp_path)) == [16]
    assert prune(tmp_path, -1) == [] and prune(tmp_path, 1) == []


def test_metrics_lines_past_the_resumed_batch_are_dropped_on_restart(tmp_path):
    import json
    from types import SimpleNamespace

    from training.callbacks.loss_history import LossHistory, read_history

    path = tmp_path / "metrics.jsonl"
    lines = [{"batch": b, "loss": 1.0 / b} for b in range(1, 7)] + [{"batch": 4, "eval_loss": 2}]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"batch": 7, "lo')
    history = LossHistory(path)
    history.fit_start(SimpleNamespace(timestamp=SimpleNamespace(batch=4)), None)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["batch"] for r in rows] == [1, 2, 3, 4, 4]  # batches 5-6 are trained again
    for batch in (5, 6):
        history._write({"batch": batch, "loss": 0.5})
    rows = [json.loads(line)["batch"] for line in path.read_text().splitlines()]
    assert rows == [1, 2, 3, 4, 4, 5, 6]  # each batch once (the eval line of 4 aside)
    assert sorted(read_history(path)[0]) == [1, 2, 3, 4, 5, 6]


def test_unconfirmed_leftovers_are_removed_once_the_run_completes(tmp_path):
    from training.checkpoints import remove_unconfirmed

    (tmp_path / "ep0-ba12-rank0.pt.unconfirmed").write_bytes(b"partial")
    (tmp_path / "ep0-ba8-rank0.pt").write_bytes(b"x")
    assert [p.name for p in remove_unconfirmed(tmp_path)] == ["ep0-ba12-rank0.pt.unconfirmed"]
    assert [p.name for p in tmp_path.iterdir()] == ["ep0-ba8-rank0.pt"]
