"""The ``ladder`` command line: help texts and lineage output, run in-process."""

from __future__ import annotations

import pytest

from flows.cli import build_parser, main
from tests.corpus import write_all_formats


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("curate", "stage", "lineage", "demo"):
        assert command in out


def test_every_subcommand_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        assert subparser.format_help().strip(), name


def test_stage_and_lineage_commands(tmp_path, write_project, capsys):
    config = write_project(write_all_formats(tmp_path / "in"))
    assert main(["stage", "ingest", str(config), "--no-prefect", "--run-id", "cli-1"]) == 0
    assert "succeeded" in capsys.readouterr().out
    assert main(["lineage", "ingested_docs@0", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "ingested_docs@0" in out and "run cli-1 stage ingest" in out
    assert '"licence": "CC-BY-SA-4.0"' in out
    # a bad reference is a clear error, not a traceback
    assert main(["lineage", "ingested_docs@x", "--config", str(config)]) == 2
    assert "version after '@' must be a number" in capsys.readouterr().err
