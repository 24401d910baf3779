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
        "ablate.py:ablate",
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


@pytest.mark.parametrize(
    ("entrypoint", "key"),
    [
        ("flows/curate.py:curate", "run_id"),
        ("flows/curate.py:run_single_stage", "run_id"),
        ("flows/evaluate.py:evaluate", "run_id"),
        ("flows/train.py:train_flow", "run_name"),
        ("flows/ablate.py:ablate", "run_id"),
    ],
)
def test_an_escaping_run_id_is_refused_by_every_flow_and_its_deployment(entrypoint, key):
    from prefect.utilities.callables import parameter_schema

    flow = load_flow_from_entrypoint(str(REPO / entrypoint))
    params = {"config": "conf/pipeline.yaml", "stage": "tokenize", key: "x/../../../../elsewhere"}
    params = {k: v for k, v in params.items() if k in flow.parameters or k == key}
    with pytest.raises(ParameterTypeError, match=key):
        flow.validate_parameters(params)
    schema = parameter_schema(flow.fn).model_dump_for_openapi()
    assert "pattern" in str(schema["properties"][key])  # the UI's form checks it too
