"""Progress lines in the terminal: rewritten in place on a TTY, plain lines in a pipe, or none."""

from __future__ import annotations

import io

from flows import terminal
from flows.terminal import Terminal


def test_a_tty_gets_one_line_per_label_rewritten_in_place():
    out = io.StringIO()
    term = Terminal(out, tty=True)
    term.report("ingest", "ingest: 1/4 tasks, 0.50 tasks/s", 0.25)
    term.report("ingest", "ingest: 3/4 tasks, 0.75 tasks/s", 0.75)
    term.done("ingest", "ingested 1,000, quarantined 3")
    text = out.getvalue()
    assert text.count("\n") == 1 and text.count("\r") == 3  # one finished line
    last = text.split("\r")[-1]
    assert last.startswith(f"{'ingest':<16} done  00:00  ingested 1,000, quarantined 3")
    assert " 75%  00:00  3/4 tasks, 0.75 tasks/s" in text.split("\r")[2]


def test_a_pipe_gets_plain_lines_at_most_one_per_interval():
    out = io.StringIO()
    term = Terminal(out, tty=False, interval_s=60)
    for done in range(1, 5):
        term.report("filter", f"filter: {done}/4 tasks", done / 4)
    term.done("filter", "kept 10")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [line.split()[1] for line in lines] == ["25%", "100%", "done"]


def test_quiet_prints_nothing(capsys):
    terminal.configure(quiet=True)
    terminal.report("ingest", "ingest: started", 0.0)
    terminal.done("ingest", "x")
    terminal.configure(quiet=False, stream=io.StringIO())
    assert capsys.readouterr().out == ""


def test_the_harness_builds_requests_without_a_bar_per_task():
    import lm_eval.api.task

    import evaluation.harness  # noqa: F401 - importing it quiets lm-eval's request bars

    assert lm_eval.api.task.tqdm([1, 2]).disable


def test_evaluation_data_loading_draws_no_dataset_bars():
    import datasets

    import evaluation.data  # noqa: F401 - importing it turns datasets' map bars off

    assert not datasets.is_progress_bar_enabled()
