"""The curate flow on a real Prefect test server, real Spark and Delta."""

from __future__ import annotations

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.curate import curate, run_single_stage
from tests.corpus import write_all_formats


def _artifacts(key: str) -> list:
    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )


def test_curate_runs_ingest_and_publishes_artifacts(prefect_harness, tmp_path, write_project):
    config = write_project(write_all_formats(tmp_path / "in"))
    results = curate(config=str(config), run_id="flow-1")
    assert [r["stage"] for r in results] == ["ingest"]
    ingest = results[0]
    assert ingest["status"] == "succeeded" and ingest["counts"]["kept"] == 21
    # other tests of the session (ablations) publish ladder-ingest artifacts too: find this run's
    table = [a for a in _artifacts("ladder-ingest") if "flow-1" in str(a.data)]
    assert table, "no table artifact for the ingest stage of run flow-1"
    assert "ingested_docs" in str(table[0].data)
    assert _artifacts("ladder-ingest-progress")

    # a second flow run with unchanged inputs is a cache hit; the artifact says so
    again = curate(config=str(config), run_id="flow-2")
    assert again[0]["skipped"] and again[0]["outputs"] == ingest["outputs"]
    latest = _artifacts("ladder-ingest")
    assert any("cached" in str(a.data) or "skipped" in str(a.description) for a in latest)

    # one stage on its own, forced, pinned to nothing (ingest reads raw files)
    single = run_single_stage(config=str(config), stage="ingest", run_id="flow-3", force=True)
    assert single["status"] == "succeeded"
    assert single["outputs"]["ingested_docs"] > ingest["outputs"]["ingested_docs"]
