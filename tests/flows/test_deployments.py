"""Every deployment in prefect.yaml points at a loadable flow with valid default parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from prefect.exceptions import ParameterTypeError
from prefect.flows import load_flow_from_entrypoint

REPO = Path(__file__).resolve().parents[2]
DEPLOYMENTS = yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]


def test_every_area_is_deployed():
    entrypoints = {d["entrypoint"] for d in DEPLOYMENTS}
    for flow in (
        "curate.py:curate",
        "curate.py:run_single_stage",
        "train.py:train_flow",
        "evaluate.py:evaluate",
        "ladder.py:ladder",
        "status.py:status",
    ):
        assert f"flows/{flow}" in entrypoints
    nightly = next(d for d in DEPLOYMENTS if d["name"] == "curate-nightly")
    assert nightly["schedules"][0]["cron"] and nightly["schedules"][0]["active"] is False


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d["name"])
def test_deployment_flow_loads_and_accepts_its_parameters(deployment, monkeypatch):
    monkeypatch.chdir(REPO)
    flow = load_flow_from_entrypoint(deployment["entrypoint"])
    flow.validate_parameters(deployment.get("parameters") or {})


def test_a_bad_parameter_is_refused_before_running():
    flow = load_flow_from_entrypoint(str(REPO / "flows/curate.py") + ":curate")
    with pytest.raises(ParameterTypeError, match="force"):
        flow.validate_parameters({"config": "conf/pipeline.yaml", "force": "sometimes"})
