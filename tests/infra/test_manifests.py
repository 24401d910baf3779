"""Every Kubernetes manifest under infra/ validates against the Kubernetes schemas (offline)."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

INFRA = Path(__file__).resolve().parents[2] / "infra"
MANIFESTS = sorted(p for p in INFRA.rglob("*.yaml") if "k8s" in p.parts)
K8S_VERSION = "1.37.0"


def test_there_are_manifests_for_the_platform_and_training():
    names = {p.name for p in MANIFESTS}
    assert {"prefect-server.yaml", "prefect-worker.yaml", "spark-standalone.yaml"} <= names


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(INFRA)))
def test_manifest_is_valid_kubernetes(path):
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert documents, f"{path} holds no document"
    for document in documents:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_a_wrong_field_is_caught():
    path = INFRA / "k8s" / "platform" / "prefect-server.yaml"
    bad = next(yaml.safe_load_all(path.read_text()))
    bad["spec"]["replica"] = 1  # typo of `replicas`
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)
