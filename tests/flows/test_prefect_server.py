"""Which Prefect API a command uses: a running server, else a temporary one, else one line."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from flows import prefect_server
from flows.cli import build_parser, main
from flows.prefect_server import PrefectUnavailable, connect, start_ephemeral

FLOW_COMMANDS = [
    ["curate"],
    ["stage", "ingest"],
    ["demo"],
    ["train", "conf/train/demo_cpt.yaml"],
    ["sweep", "conf/train/sft.yaml"],
    ["eval", "run", "m"],
    ["eval", "gauntlet"],
    ["eval", "compare", "a", "b"],
    ["eval", "golden", "m"],
    ["eval", "latency", "m"],
]


@pytest.mark.parametrize("argv", FLOW_COMMANDS, ids=" ".join)
def test_every_command_that_runs_a_flow_accepts_no_prefect(argv):
    args = build_parser().parse_args([*argv, "--no-prefect"])
    assert args.uses_prefect and args.no_prefect


@pytest.fixture
def health_server():
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/api/health" else 404)
            self.end_headers()
            self.wfile.write(b"true")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()


def test_a_running_platform_server_is_used(tmp_path, monkeypatch, health_server):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    state = tmp_path / ".prefect" / "platform"
    state.mkdir(parents=True)
    info = {"state_dir": str(state), "api_url": health_server, "ui_url": "", "server_pid": 1}
    (state / "platform.json").write_text(json.dumps({**info, "worker_pid": None, "pool": "p"}))
    monkeypatch.setattr(prefect_server, "start_ephemeral", lambda: pytest.fail("started one"))
    assert connect(tmp_path) == health_server
    assert prefect_server.os.environ["PREFECT_API_URL"] == health_server


def test_prefect_api_url_is_used_when_it_answers(monkeypatch, health_server):
    monkeypatch.setenv("PREFECT_API_URL", health_server)
    assert connect(".") == health_server


def test_a_dead_prefect_api_url_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert main(["eval", "run", "smollm2-135m-instruct", "--limit", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ladder: error: PREFECT_API_URL=http://127.0.0.1:9/api does not answer")
    assert "--no-prefect" in err and "ladder platform up" in err and "\n" not in err


def test_the_temporary_server_gets_a_longer_limit_and_one_retry(monkeypatch, capsys):
    from prefect.server.api.server import SubprocessASGIServer

    limits = []

    def slow_start(self, timeout=None):
        limits.append(timeout)
        raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")

    monkeypatch.setattr(SubprocessASGIServer, "start", slow_start)
    monkeypatch.setattr(SubprocessASGIServer, "stop", lambda self: None)
    with pytest.raises(PrefectUnavailable, match=r"within 300s and 600s.*--no-prefect"):
        start_ephemeral()
    assert limits == [300, 600]
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(prefect_server, "healthy", lambda url, timeout_s=3.0: False)
    assert main(["eval", "run", "smollm2-135m-instruct"]) == 2
    err = capsys.readouterr().err.strip()
    assert "temporary Prefect server did not start" in err and "\n" not in err


def test_curate_without_prefect_runs_the_stages_in_process(
    tmp_path, write_project, capsys, monkeypatch
):
    from tests.corpus import write_all_formats

    monkeypatch.setattr(prefect_server, "connect", lambda *a: pytest.fail("Prefect was used"))
    config = write_project(write_all_formats(tmp_path / "in"))
    assert main(["curate", str(config), "--no-prefect", "--run-id", "plain-1"]) == 0
    out = capsys.readouterr().out
    assert "ingest" in out and "succeeded" in out and "run plain-1" in out
    assert f"{'ingest':<16} done  " in out  # the progress line of the stage, ended with its counts
    assert main(["-q", "curate", str(config), "--no-prefect", "--run-id", "plain-1"]) == 0
    assert "done  " not in capsys.readouterr().out
