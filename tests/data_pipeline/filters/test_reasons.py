"""One tiny document per reason, asserting the exact reason (pure Python, no Spark)."""

from __future__ import annotations

import pytest

from data_pipeline.filters import build_filter
from data_pipeline.filters.base import as_drop
from data_pipeline.filters.pii import PiiRedaction
from tests.data_pipeline.filters.fixtures import CASES, GOOD_EN, doc


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_each_reason_is_reported_exactly(case):
    name, params, text, reason, *lang = case
    flt = build_filter(name, params)
    drop = as_drop(flt.check(doc(text, *lang)))
    assert drop is not None and drop.reason == reason


@pytest.mark.parametrize(
    "name", ["langid", "gopher_quality", "gopher_repetition", "c4", "fineweb", "safety", "pii"]
)
def test_a_good_english_paragraph_passes(name):
    params = {"min_sentences": 3} if name == "c4" else {}
    assert build_filter(name, params).check(doc(GOOD_EN)) is None


def test_c4_removes_lines_and_counts_them():
    text = GOOD_EN + "\nClick here\nPlease enable JavaScript in your browser to see this.\n"
    d = doc(text)
    assert build_filter("c4", {"min_sentences": 3}).check(d) is None
    assert "JavaScript" not in d.text and "Click here" not in d.text
    assert d.events["edited.c4.no_terminal_punctuation"] == 1
    assert d.events["edited.c4.javascript"] == 1
    assert d.events["chars.edited.c4"] == len(text) - len(d.text)


def test_pii_placeholders_and_counts_per_type():
    d = doc("Write to a.b@example.com or call +44 20 7946 0958; host 10.0.0.1 and fe80::1:2:3.")
    assert PiiRedaction().check(d) is None
    assert d.text == "Write to <EMAIL> or call <PHONE>; host <IP> and <IP>."
    assert dict(d.events) == {
        "redacted.pii.email": 1,
        "redacted.pii.phone": 1,
        "redacted.pii.ip": 2,
        "chars.edited.pii": d.events["chars.edited.pii"],
    }
    assert d.tags == ["pii:email", "pii:ip", "pii:phone"] or set(d.tags) == {
        "pii:email",
        "pii:ip",
        "pii:phone",
    }


def test_pii_leaves_years_prices_and_versions_alone():
    text = "From 1990 2000 2010, prices rose 3,500 euros; version 1.2.3.4.5 on 2020-10-11."
    assert PiiRedaction().redact(text) == (text, {})


def test_domain_tags_and_safety_tag_mode():
    d = doc(GOOD_EN, url="https://news.example.com/a")
    rules = [
        {"tag": "news", "url_patterns": ["news\\."]},
        {"tag": "library", "keywords": ["library"]},
    ]
    assert build_filter("domain", {"rules": rules}).check(d) is None
    assert d.tags == ["domain:news", "domain:library"]
    d = doc(GOOD_EN + " What a bastard.")
    assert build_filter("safety", {"action": "tag"}).check(d) is None and "unsafe" in d.tags


def test_safety_ignore_words_and_thresholds():
    text = GOOD_EN + " Sex education matters."
    assert build_filter("safety", {}).check(doc(text)) is not None
    assert build_filter("safety", {"ignore_words": ["sex"]}).check(doc(text)) is None
    assert build_filter("safety", {"min_matches": 2}).check(doc(text)) is None
