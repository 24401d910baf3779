"""The Funnel helper: flat keys as the runs table stores them, and the checks that must fail."""

from __future__ import annotations

import pytest

from data_pipeline.funnel import Funnel
from data_pipeline.report.funnel import funnel_from_counts


def test_filter_style_funnel_gives_the_stored_keys():
    f = Funnel("filter", sources=["a", "b"], chars=True)
    f.add("a", "kept", 3, chars=30, chars_left=25, lang="en")
    f.add("a", "rejected", 2, "gopher", "too_short", chars=8, lang="en")
    f.edited("pii", 5)
    f.extra("edited.pii", 1)
    f.check()
    assert f.as_counts() == {
        "input": 5,
        "kept": 3,
        "rejected": 2,
        "rejected.gopher.too_short": 2,
        "lang.en.input": 5,
        "lang.en.kept": 3,
        "lang.en.rejected": 2,
        "source.a.input": 5,
        "source.a.kept": 3,
        "source.a.rejected": 2,
        "source.b.input": 0,
        "source.b.kept": 0,
        "source.b.rejected": 0,
        "chars.input": 38,
        "chars.kept": 25,
        "chars.rejected": 8,
        "chars.rejected.gopher.too_short": 8,
        "chars.source.a.input": 38,
        "chars.source.a.kept": 25,
        "chars.source.a.rejected": 8,
        "chars.edited.pii": 5,
        "edited.pii": 1,
    }
    step = funnel_from_counts("filter", "r1", "filtered_docs", f.as_counts())
    assert (step.input, step.kept, step.reasons) == (5, 3, {"gopher.too_short": 2})
    assert step.sources == {"a": (5, 3), "b": (0, 0)}


def test_input_counted_on_its_own_must_equal_the_outcomes():
    f = Funnel("tokenize", outcomes=("kept", "heldout", "rejected"))
    f.add("a", "input", 10)
    f.add("a", "rejected", 1, "tokenize", "empty_text")
    f.add("a", "heldout", 2)
    f.add("a", "kept", 6)
    with pytest.raises(RuntimeError, match="source a: input 10"):
        f.check()
    f.add("a", "kept", 1)
    f.check()
    counts = f.as_counts()
    assert counts["input"] == 10 and counts["source.a.heldout"] == 2
    assert counts["rejected.tokenize.empty_text"] == 1 and "quarantined" not in counts


def test_characters_that_do_not_add_up_fail_the_check():
    f = Funnel("filter", chars=True)
    f.add("a", "kept", 1, chars=10, chars_left=7)  # 3 characters cut, but no edit recorded
    with pytest.raises(RuntimeError, match=r"chars\.input 10"):
        f.check()
    f.edited("pii", 3, source="a")
    f.check()
    assert f.as_counts()["chars.source.a.edited"] == 3


def test_quarantine_reasons_and_declared_reasons():
    f = Funnel("sft_tokenize", outcomes=("kept", "quarantined"))
    f.add("s", "quarantined", 1, reason="bad_json")
    f.add("s", "kept", 4)
    assert f.as_counts()["quarantined.bad_json"] == 1
    assert f.as_counts()["input"] == 5
    d = Funnel("dedup", reasons=[("exact", "exact_duplicate")])
    assert d.as_counts()["rejected.exact.exact_duplicate"] == 0
    with pytest.raises(ValueError, match="unknown outcome"):
        d.add("s", "dropped", 1)
