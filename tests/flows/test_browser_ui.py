"""The Prefect UI in headless Chromium: start the curate deployment by hand, see its artifacts.

A real server, work pool, worker and deployment (``flows.platform.up``) and Debian's Chromium
driven by Playwright. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest
import yaml

from tests.corpus import write_all_formats

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="Debian chromium is not installed (make setup installs it)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_run(api_url: str, deployment: str, timeout_s: float = 600) -> object:
    from prefect.client.orchestration import SyncPrefectClient

    deadline = time.monotonic() + timeout_s
    with SyncPrefectClient(api_url) as client:
        dep = client.read_deployment_by_name(deployment)
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(limit=5)
            runs = [r for r in runs if r.deployment_id == dep.id]
            if runs and runs[0].state is not None and runs[0].state.is_final():
                return runs[0]
            time.sleep(2)
    raise TimeoutError(f"no finished run of {deployment} within {timeout_s:.0f}s")


def test_quick_run_from_the_ui_completes_and_shows_artifacts(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from flows import platform

    config = {
        "lakehouse": str(tmp_path / "lakehouse"),
        "spark": {
            "master": "local[2]",
            "shuffle_partitions": 2,
            "jars_dir": str(REPO / "infra" / "jars"),
        },
        "sources": write_all_formats(tmp_path / "in"),
    }
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(config))
    SHOTS.mkdir(exist_ok=True)
    info = platform.up(
        REPO,
        port=_free_port(),
        state_dir=tmp_path / "platform",
        deployments=["curate"],
        params={"config": str(tmp_path / "p.yaml")},
    )
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{info.ui_url}/deployments", timeout=120_000)
            page.get_by_role("link", name="curate", exact=True).first.click()
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("Quick run", exact=True).click()
            page.screenshot(path=str(SHOTS / "prefect-ui-quick-run.png"))

            run = _wait_for_run(info.api_url, "curate/curate")
            assert run.state.is_completed(), f"flow run ended {run.state.name}"

            page.goto(f"{info.ui_url}/runs/flow-run/{run.id}", timeout=120_000)
            page.get_by_text("Artifacts", exact=True).click()
            expect(page.get_by_text("ladder-ingest", exact=True).first).to_be_visible(
                timeout=60_000
            )
            expect(page.get_by_text("ladder-status", exact=True).first).to_be_visible()
            page.screenshot(path=str(SHOTS / "prefect-ui-artifacts.png"), full_page=True)
            browser.close()
    finally:
        platform.down(REPO, tmp_path / "platform")
    assert (tmp_path / "lakehouse" / "ingested_docs" / "_delta_log").is_dir()
