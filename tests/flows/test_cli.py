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


def test_an_escaping_run_id_is_refused_before_anything_is_touched(tmp_path, capsys):
    victim = tmp_path / "elsewhere"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    bad = "x/" + "../" * 12 + str(victim).lstrip("/")
    for argv in (
        ["stage", "tokenize", "conf/pipeline.yaml", "--force", "--run-id", bad],
        ["curate", "--run-id", bad],
        ["eval", "run", "smollm2-135m-instruct", "--run-id", bad],
        ["train", "conf/train/demo_cpt.yaml", "--run-name", "../../x"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert "is not allowed" in capsys.readouterr().err
    assert (victim / "keep.txt").read_text() == "precious"


def test_an_escaping_run_id_is_refused_by_run_stage(tmp_path):
    from data_pipeline.lakehouse.names import InvalidName
    from data_pipeline.project import ProjectConfig
    from data_pipeline.runner import run_stage

    project = ProjectConfig(lakehouse=str(tmp_path / "lake"))
    with pytest.raises(InvalidName, match="run id"):
        run_stage(project, "ingest", run_id="x/../../elsewhere")
    assert not (tmp_path / "lake").exists()


def test_a_table_name_that_leaves_the_lakehouse_is_refused_when_the_config_is_read(tmp_path):
    import yaml

    from data_pipeline.lakehouse.config import ConfigError
    from data_pipeline.project import load_project

    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"stages": {"filter": {"output": "../x"}}}))
    with pytest.raises(ConfigError, match=r"stages.filter: output: String should match pattern"):
        load_project(path)


def test_an_unknown_stage_is_one_line(tmp_path, capsys):
    assert main(["stage", "tokenise", "conf/pipeline.yaml", "--no-prefect"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ladder: error: unknown stage 'tokenise'") and "\n" not in err


def test_a_missing_source_file_is_one_line_naming_the_config_before_spark(
    tmp_path, capsys, monkeypatch
):
    import yaml

    import data_pipeline.runner as runner

    def no_spark(*args, **kwargs):
        raise AssertionError("Spark was started before the sources were checked")

    monkeypatch.setattr(runner, "open_lakehouse", no_spark)
    config = tmp_path / "pipeline.yaml"
    source = {"name": "gone", "path": "missing/*.jsonl", "format": "jsonl", "licence": "CC0-1.0"}
    config.write_text(yaml.safe_dump({"sources": [source]}))
    for argv in (
        ["stage", "ingest", str(config), "--no-prefect"],
        ["stage", "ingest", str(config)],
        ["curate", str(config)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert str(config) in err and "source 'gone': no file matches" in err
        assert "\n" not in err


def test_lock_timeout_is_one_line_naming_the_real_setting(tmp_path, capsys, monkeypatch):
    from data_pipeline.lakehouse.locks import LockTimeout

    def held(args):
        raise LockTimeout("stage-ingest is being written by run A; waited 0s (retry later, ...)")

    parser_main = main
    import flows.commands.data as data

    monkeypatch.setattr(data, "cmd_status", held)
    assert parser_main(["status", "--config", str(tmp_path / "p.yaml")]) == 2
    assert capsys.readouterr().err.startswith("ladder: error: stage-ingest is being written")


def test_commands_that_only_compute_load_no_torch():
    import json
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, json, contextlib, io\n"
        "from flows.cli import main\n"
        "for argv in (['--help'], ['plan', 'conf/train/pretrain.yaml'],"
        " ['plan', 'conf/train/demo_cpt.yaml']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        assert main(argv) == 0, argv\n"
        "heavy = ('torch', 'composer', 'transformers', 'streaming', 'pyspark', 'prefect')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
