"""The Slurm and Kubernetes templates run the same entry point as `--print-launch` prints.

No Slurm cluster exists here: `srun`, `scontrol` and `composer` are stand-ins on PATH that
record what the batch script would run on node 1 of 2 (the script itself runs for real).
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import yaml

from training.launch import node_commands

INFRA = Path(__file__).resolve().parents[2] / "infra"


def stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/bash\n" + body + "\n")
    path.chmod(0o755)


def test_slurm_script_launches_what_print_launch_prints(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv"
    stub(bin_dir, "scontrol", 'printf "gpu-a\\ngpu-b\\n"')
    stub(bin_dir, "srun", 'SLURM_NODEID=1 SLURM_NNODES=2 "${@: -3}"')
    stub(bin_dir, "composer", f'printf "%s\\n" composer "$@" > {record}')
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SLURM_JOB_NODELIST": "gpu-[a-b]",
        "SLURM_GPUS_ON_NODE": "4",
        "LADDER_VENV": str(tmp_path / "venv"),
    }
    recipe = "/shared/train/cpt-1/recipe.yaml"
    script = INFRA / "slurm" / "train.sbatch"
    done = subprocess.run(["bash", str(script), recipe, "cpt-1"], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    argv = record.read_text().splitlines()
    expected = node_commands(Path(recipe), "cpt-1", nodes=2, gpus_per_node=4, master_addr="gpu-a")
    assert argv == shlex.split(expected[1])


def test_kubernetes_job_runs_the_same_entry_point():
    service, job = yaml.safe_load_all((INFRA / "k8s" / "train" / "train-job.yaml").read_text())
    assert service["spec"]["clusterIP"] == "None"
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"]
    pod = spec["template"]["spec"]
    assert pod["subdomain"] == service["metadata"]["name"]
    command = " ".join(pod["containers"][0]["args"])
    assert "-m training.run" in command and '--node_rank "$JOB_COMPLETION_INDEX"' in command
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert {"/data", "/dev/shm"} <= mounts
