"""Background process groups: a daemon and what it forks start, report and stop together."""

from __future__ import annotations

import os

import pytest

from flows.processes import group_members, processes_under, spawn, stop_group, wait_for_log

TREE = "echo ready on port 4242; sleep 300 & sleep 300 & trap '' TERM; wait"


def test_group_starts_reports_and_stops_with_its_children(tmp_path):
    log = tmp_path / "daemon.log"
    proc = spawn(["bash", "-c", TREE], dict(os.environ), log, tmp_path)
    port = wait_for_log(log, r"ready on port (\d+)", proc, "daemon", 20).group(1)
    assert port == "4242"
    assert os.getpgid(proc.pid) == proc.pid  # its own group, apart from the test's
    members = group_members(proc.pid)
    assert len(members) == 3 and proc.pid in members  # bash and its two sleeps
    assert sorted(processes_under(tmp_path)) == sorted(members)
    stop_group(proc.pid, timeout_s=1.0)  # bash ignores SIGTERM: SIGKILL ends it
    proc.wait(timeout=10)
    assert group_members(proc.pid) == []
    assert processes_under(tmp_path) == []


def test_wait_for_log_fails_early_with_the_log_tail(tmp_path):
    log = tmp_path / "daemon.log"
    proc = spawn(["bash", "-c", "echo cannot bind 127.0.0.1; exit 3"], {}, log, tmp_path)
    with pytest.raises(RuntimeError, match=r"(?s)daemon exited with code 3.*cannot bind"):
        wait_for_log(log, r"never printed", proc, "daemon", 20)
