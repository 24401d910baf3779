"""Training against a real S3 server (s3proxy): shards read from the bucket, checkpoints and the
exported model written there, and a run killed mid-way resumes from the remote checkpoint on a
machine whose local scratch folder is gone, to the same losses and weights as a local run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import psutil
import pytest
import torch

from data_pipeline.lakehouse import storage
from tests.training.conftest import BATCHES, SEQ, recipe_dict, write_recipe
from tests.training.shards import write_shard_set
from training.callbacks.loss_history import read_history

pytestmark = pytest.mark.cluster
REPO = Path(__file__).resolve().parents[2]
KILL_AT = 8  # the run is killed once its batch-8 checkpoint is in the bucket


@dataclass
class Store:
    """The cluster's store; its key stays out of reprs (pytest prints fixtures on failure)."""

    creds: object = field(repr=False)
    bucket: str = "ladder"


@pytest.fixture(scope="module")
def store(local_cluster, tmp_path_factory):
    """The S3 store of the session's local cluster (``tests/cluster/conftest.py``), with its
    endpoint and key in this process's environment (not its Spark master: the training side
    needs no Spark, and the lakehouse test uses a local session)."""
    from flows import cluster

    env = {k: v for k, v in cluster.env(local_cluster).items() if k.startswith(("AWS_", "S3_"))}
    env["LADDER_SCRATCH"] = str(tmp_path_factory.mktemp("scratch"))  # local copies made here
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield Store(cluster.credentials(local_cluster), local_cluster.bucket)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def runs(store, tmp_path_factory):
    """A local reference run, and the same recipe on the bucket: killed, then resumed."""
    from training.checkpoint_sync import remote_latest
    from training.recipe_files import recipe_from_dict
    from training.run import train

    tmp = tmp_path_factory.mktemp("remote-train")
    local_shards = write_shard_set(tmp / "shards" / "corpus", SEQ + 1)
    prefix = f"s3://{store.bucket}/{uuid.uuid4().hex[:8]}"
    shards = f"{prefix}/mds/corpus"
    storage.upload_tree(str(local_shards), shards)
    reference = train(recipe_from_dict(recipe_dict(local_shards, tmp / "ref"), str(tmp / "r.yaml")))

    remote = recipe_dict(shards, tmp, output_root=f"{prefix}/runs")
    recipe = write_recipe(tmp / "tiny.yaml", remote)
    command = [
        str(Path(sys.executable).with_name("ladder")), "train", str(recipe),
        "--no-prefect", "--no-record",
    ]  # fmt: skip
    scratch_a, scratch_b = tmp / "machine-a", tmp / "machine-b"
    env = {**os.environ, "PYTHONPATH": str(REPO), "LADDER_SCRATCH": str(scratch_a)}
    run_root = f"{prefix}/runs/{recipe_from_dict(remote, str(recipe)).run_name()}"
    checkpoints = f"{run_root}/checkpoints"

    def saved_batch() -> int:
        latest = remote_latest(checkpoints)
        return int(latest.rsplit("-ba", 1)[1].split("-")[0]) if latest else 0

    first = subprocess.Popen(command, cwd=tmp, env=env, stdout=subprocess.DEVNULL)
    _wait_for(
        lambda: saved_batch() >= KILL_AT or first.poll() is not None, 300, "a remote checkpoint"
    )
    children = psutil.Process(first.pid).children(recursive=True)
    first.send_signal(signal.SIGKILL)
    first.wait()
    psutil.wait_procs(children, timeout=20)
    killed_at = saved_batch()
    assert KILL_AT <= killed_at < BATCHES, "killed before the end"
    assert not storage.exists(f"{run_root}/result.json")
    shutil.rmtree(scratch_a)  # a new machine: nothing local survives

    env["LADDER_SCRATCH"] = str(scratch_b)
    done = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(storage.read_text(f"{run_root}/result.json"))
    return SimpleNamespace(
        reference=reference, result=result, root=run_root, shards=shards, tmp=tmp,
        killed_at=killed_at, local_shards=local_shards, stderr=done.stderr,
    )  # fmt: skip


def test_a_killed_run_resumes_from_the_remote_checkpoint(runs):
    result, reference = runs.result, runs.reference
    assert result["resumed_at_batch"] == runs.killed_at
    assert "resuming from the remote checkpoint" in runs.stderr
    assert result["batches"] == BATCHES and result["run_dir"] == runs.root
    history, _ = read_history(Path(result["scratch_dir"]) / "metrics.jsonl")
    ref_history, _ = read_history(Path(reference["run_dir"]) / "metrics.jsonl")
    resumed = range(runs.killed_at + 1, BATCHES + 1)
    assert sorted(history) == list(resumed)  # this machine trained only the rest
    np.testing.assert_allclose(
        [history[b]["loss"] for b in resumed],
        [ref_history[b]["loss"] for b in resumed],
        rtol=1e-5,
        atol=1e-6,
    )
    assert result["final_loss"] == pytest.approx(reference["final_loss"], rel=1e-5)


def test_checkpoints_model_and_records_are_in_the_bucket(runs):
    from training.checkpoint_sync import remote_checkpoints
    from training.paths import local_copy

    result = runs.result
    saved = remote_checkpoints(f"{runs.root}/checkpoints")
    assert sorted(saved) == list(range(4, BATCHES + 1, 4))
    assert result["checkpoint"] == saved[BATCHES]
    for name in ("metrics.jsonl", "recipe.yaml", "ledger/rank0.jsonl"):
        assert storage.is_file(f"{runs.root}/{name}"), name
    assert result["hf_model"] == f"{runs.root}/hf_model"
    from transformers import AutoModelForCausalLM

    shutil.rmtree(Path(result["scratch_dir"]))  # load from the bucket, not the export's mirror
    model = AutoModelForCausalLM.from_pretrained(local_copy(result["hf_model"]))
    local = AutoModelForCausalLM.from_pretrained(runs.reference["hf_model"])
    for (name, mine), (_, theirs) in zip(
        model.state_dict().items(), local.state_dict().items(), strict=True
    ):
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-6, msg=name)


def test_remote_shards_are_read_unchanged(runs):
    """Streaming copies shards into the local cache; the bucket holds the uploaded bytes."""
    assert storage.hash_tree(runs.shards) == storage.hash_tree(str(runs.local_shards))


def test_no_credentials_in_any_record(runs, store):
    """The key is in the environment of every process; no written byte may hold it."""
    secrets = [store.creds.secret_key.encode(), store.creds.access_key.encode()]
    checked = 0
    for info in storage.list_files(runs.root):
        data = storage.read_bytes(info.path)
        assert not any(s in data for s in secrets), info.path
        checked += 1
    for folder in (runs.tmp, Path(runs.result["mlflow_tracking_uri"].removeprefix("file://"))):
        for path in Path(folder).rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert not any(s in path.read_bytes() for s in secrets), path
                checked += 1
    assert checked > 20
    assert not any(s.decode() in json.dumps(runs.result) for s in secrets)


def test_bad_remote_input_is_a_clear_error_naming_the_uri(store, tmp_path):
    from training.data import stream_dirs

    shards = f"s3://{store.bucket}/{uuid.uuid4().hex[:8]}/mds/corpus"
    storage.upload_tree(str(write_shard_set(tmp_path / "corpus", SEQ + 1, 8, 4)), shards)
    assert stream_dirs(shards, "train") == [f"{shards}/news", f"{shards}/wiki"]
    missing = shards.replace("/mds/", "/no-such-prefix/")
    with pytest.raises(FileNotFoundError, match=missing):
        stream_dirs(missing, "train")
    with pytest.raises(FileNotFoundError, match=f"no MDS index.json in {shards}"):
        stream_dirs(shards, "test")
    wrong = {**os.environ, "AWS_SECRET_ACCESS_KEY": "wrong" + store.creds.secret_key[5:]}
    code = f"from training.data import stream_dirs; stream_dirs({shards!r}, 'train')"
    done = subprocess.run(
        [sys.executable, "-c", code], env={**wrong, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode != 0
    error = done.stderr.strip().splitlines()[-1]
    assert shards in error and "PermissionError" in error, error


def test_registered_model_and_checkpoint_name_their_remote_uris(runs, spark, store):
    """Recording the run registers the bucket URIs (hashed there); lineage shows them."""
    from data_pipeline.lakehouse.artifacts import ArtifactRegistry
    from data_pipeline.lakehouse.lineage import RunLog, format_lineage, lineage
    from data_pipeline.lakehouse.tables import Lakehouse
    from training.paths import RunPaths
    from training.recipe_files import load_recipe
    from training.records import PreparedRun, record_outputs, recorded_training

    lakehouse = Lakehouse(str(runs.tmp / "lakehouse"), spark)
    recipe = load_recipe(runs.tmp / "tiny.yaml")
    name = runs.result["run_name"]
    run = PreparedRun(recipe, name, RunPaths.at(runs.root), [], lakehouse)
    with recorded_training(run) as record:
        outputs = record_outputs(run, record, runs.result)
    assert [str(t) for t in outputs] == [
        f"artifact:model/{name}@1",
        f"artifact:checkpoint/{name}@1",
    ]
    registry = ArtifactRegistry(lakehouse)
    model, checkpoint = registry.get(f"model/{name}"), registry.get(f"checkpoint/{name}")
    assert model.uri == f"{runs.root}/hf_model" and checkpoint.uri == runs.result["checkpoint"]
    assert model.content_hash == storage.hash_tree(model.uri)
    text = format_lineage(lineage(lakehouse, f"artifact:model/{name}"))
    assert f"at {runs.root}/hf_model" in text
    assert f'"output_root": "{runs.root.rsplit("/", 2)[0]}/runs"' in text
    assert f'"shards": "{runs.shards}"' in text
    record = RunLog(lakehouse).get(name, "train")
    assert store.creds.secret_key not in record.config_json
    secret = store.creds.secret_key.encode()
    files = [p for p in (runs.tmp / "lakehouse").rglob("*") if p.is_file()]
    assert files and not any(secret in p.read_bytes() for p in files)


def test_evaluation_loads_the_remote_export_and_writes_its_chart_there(runs):
    from evaluation.models import resolve_model
    from evaluation.report import category_chart

    ref = resolve_model(runs.result["hf_model"], str(runs.tmp / "artifacts"))
    assert ref.path.is_dir() and (ref.path / "model.safetensors").is_file()
    assert storage.hash_tree(str(ref.path)) == storage.hash_tree(runs.result["hf_model"])
    rows = [{"kind": "category", "task": "c/reading", "value": 0.2, "stderr": 0.01}]
    chart = category_chart({"tiny": rows}, f"{runs.root}/eval/categories.png")
    assert chart == f"{runs.root}/eval/categories.png"
    assert storage.read_bytes(chart)[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_mix_over_a_shard_set_in_the_bucket_plans_and_streams(store, tmp_path):
    """A mix YAML whose ``data`` is a bucket URI: LATEST, manifest and streams read remotely,
    and the streams read the bucket into a local cache."""
    from streaming import StreamingDataset
    from streaming.base.util import clean_stale_shared_memory

    from tests.training.shards import write_mds
    from training.mix import build_streams, load_mix, token_plan

    local = tmp_path / "corpus"
    for i, (name, n) in enumerate({"wiki": 24, "news": 8}.items()):
        write_mds(local / "v3" / name, n, SEQ, seed=i, compression="zstd")
    streams = {"wiki": {"sequences": 24}, "news": {"sequences": 8}}
    (local / "v3" / "manifest.json").write_text(json.dumps({"seq_len": SEQ, "streams": streams}))
    (local / "LATEST").write_text("v3\n")
    uri = f"s3://{store.bucket}/{uuid.uuid4().hex[:8]}/mds/corpus"
    storage.upload_tree(str(local), uri)
    spec = {"data": uri, "streams": {"wiki": {"proportion": 0.5}, "news": {"proportion": 0.5}}}
    (tmp_path / "mix.yaml").write_text(json.dumps(spec))
    mix = load_mix(tmp_path / "mix.yaml")
    plan = token_plan(mix, total_tokens=32 * SEQ)
    assert [s.samples for s in plan.phases[0].streams] == [16, 16]
    built = build_streams(mix, 0, cache_dir=tmp_path / "cache")
    assert [s.remote for s in built] == [f"{uri}/v3/wiki", f"{uri}/v3/news"]
    clean_stale_shared_memory()
    dataset = StreamingDataset(streams=built, batch_size=4, epoch_size=32, shuffle=False)
    assert len([dataset[i] for i in range(len(dataset))]) == 32
    assert (tmp_path / "cache" / "v3" / "news" / "index.json").is_file()
    assert storage.hash_tree(uri) == storage.hash_tree(str(local))  # the bucket is unchanged
