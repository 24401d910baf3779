"""`ladder train --print-launch`: the exact composer command for every node."""

from __future__ import annotations

import shlex

import yaml

from flows.cli import main
from training.launch import local_command, node_commands
from training.recipe_files import load_recipe


def test_node_commands_are_exact(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    commands = node_commands(recipe, "cpt-1234", nodes=2, gpus_per_node=8, master_port=29501)
    assert commands == [
        f"composer -n 8 --world_size 16 --node_rank {rank} --master_addr $MASTER_ADDR "
        f"--master_port 29501 -m training.run {recipe} --run-name cpt-1234"
        for rank in (0, 1)
    ]
    assert local_command(recipe, "r", gpus=1)[1:] == [
        "-m",
        "training.run",
        str(recipe),
        "--run-name",
        "r",
    ]
    assert local_command(recipe, "r", gpus=4)[1:3] == ["-n", "4"]


def test_print_launch_writes_the_resolved_recipe_on_shared_storage(tmp_path, capsys):
    shards = tmp_path / "shards"
    shards.mkdir()
    source = tmp_path / "tiny.yaml"
    source.write_text(
        yaml.safe_dump(
            {
                "kind": "pretrain",
                "model": {"preset": "llama-tiny"},
                "data": {"shards": "shards"},
                "output_root": "runs",
                "global_batch_size": 16,
                "duration": "100ba",
            }
        )
    )
    argv = ["train", str(source), "--print-launch", "--nodes", "2", "--gpus-per-node", "4"]
    assert main([*argv, "--no-record", "--master-addr", "node0"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "# node 0" and lines[2] == "# node 1"
    node0 = shlex.split(lines[1])
    assert node0[:11] == [
        "composer", "-n", "4", "--world_size", "8", "--node_rank", "0",
        "--master_addr", "node0", "--master_port", "29500",
    ]  # fmt: skip
    resolved, run_name = node0[13], node0[15]
    assert resolved.startswith(str(tmp_path / "runs")) and resolved.endswith("recipe.yaml")
    again = load_recipe(resolved)
    assert again.run_name() == run_name and again.data.shards == str(shards)


def test_local_runs_do_not_inherit_mlflow_state_of_this_process(monkeypatch):
    """A fluent ``mlflow.set_experiment`` earlier in the process (an evaluation, say) exports
    MLFLOW_EXPERIMENT_ID; a training child started afterwards must not log there."""
    import sys

    from training.launch import run_local

    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "123")
    monkeypatch.setenv("MLFLOW_RUN_ID", "abc")
    leaked = "{'MLFLOW_EXPERIMENT_ID', 'MLFLOW_RUN_ID'} & set(os.environ)"
    check = f"import os, sys; sys.exit(3 if {leaked} else 0)"
    assert run_local([sys.executable, "-c", check]) == 0
