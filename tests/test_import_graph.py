"""The package's import graph, deferred imports included: no cycle, and one way in from
training/evaluation to data_pipeline."""

from __future__ import annotations

from data_pipeline.code_graph import PACKAGES, cycles, import_graph


def test_the_cycle_finder_finds_a_planted_cycle(tmp_path):
    pkg = tmp_path / "data_pipeline"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from data_pipeline import b\n")
    (pkg / "b.py").write_text("def f():\n    from data_pipeline.a import x\n")  # deferred
    (pkg / "c.py").write_text("import data_pipeline.a\n")
    for name in PACKAGES[1:]:
        (tmp_path / name).mkdir()
    graph = import_graph(tmp_path)
    assert graph["data_pipeline.c"] == {"data_pipeline.a"}
    assert cycles(graph) == [["data_pipeline.a", "data_pipeline.b"]]


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, f"import cycles (deferred imports included): {found}"


def test_data_flows_one_way():
    """Nothing below flows/ imports it; data_pipeline imports neither training nor evaluation."""
    graph = import_graph()
    wrong = sorted(
        (m, t)
        for m, targets in graph.items()
        for t in targets
        if (not m.startswith("flows") and t.startswith("flows"))
        or (m.startswith("data_pipeline") and t.split(".")[0] in ("training", "evaluation"))
    )
    assert not wrong, wrong


def test_training_and_evaluation_import_only_the_plumbing_package():
    graph = import_graph()
    outside = {
        t
        for m, targets in graph.items()
        if m.split(".")[0] in ("training", "evaluation")
        for t in targets
        if t.startswith("data_pipeline") and not t.startswith("data_pipeline.lakehouse")
    }
    assert not outside, sorted(outside)


def test_the_plumbing_package_imports_nothing_else_of_data_pipeline():
    graph = import_graph()
    wrong = sorted(
        (m, t)
        for m, targets in graph.items()
        if m.startswith("data_pipeline.lakehouse")
        for t in targets
        if not t.startswith("data_pipeline.lakehouse")
    )
    assert not wrong, wrong
