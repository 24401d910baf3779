"""Reruns through the curate flow: unchanged inputs skip every stage; a changed threshold reruns
that stage and everything after it, nothing before."""

from __future__ import annotations

import yaml

from flows.curate import curate
from tests.corpus import write_all_formats
from tests.tokenizers import base_tokenizer

CHAIN = ["ingest", "filter", "dedup", "tokenize"]


def _stages(min_words: int, tokenizer: str) -> dict:
    return {
        "filter": {
            "filters": [
                {"langid": {"languages": ["en", "fr"]}},
                {"gopher_quality": {"min_words": min_words}},
            ]
        },
        "dedup": {"input_table": "filtered_docs"},
        "tokenize": {
            "input_table": "deduped_docs",
            "tokenizer": tokenizer,
            "seq_len": 128,
            "heldout": {"fraction": 0.1, "min_docs": 1, "max_share": 0.5},
        },
    }


def _states(results: list[dict]) -> dict[str, str]:
    return {r["stage"]: "skipped" if r["skipped"] else r["status"] for r in results}


def test_unchanged_reruns_skip_and_a_threshold_change_reruns_downstream(
    prefect_harness, tmp_path, write_project, request
):
    tokenizer = str(base_tokenizer(request.config))
    sources = write_all_formats(tmp_path / "in")
    config = write_project(sources, stages=_stages(50, tokenizer), pipeline=CHAIN)

    first = curate(config=str(config))
    assert _states(first) == dict.fromkeys(CHAIN, "succeeded")

    again = curate(config=str(config))
    assert _states(again) == dict.fromkeys(CHAIN, "skipped")
    assert [r["outputs"] for r in again] == [r["outputs"] for r in first]

    text = yaml.safe_load(config.read_text())
    text["stages"] = _stages(40, tokenizer)  # one filter threshold changes
    config.write_text(yaml.safe_dump(text))
    changed = curate(config=str(config))
    assert _states(changed) == {
        "ingest": "skipped",
        "filter": "succeeded",
        "dedup": "succeeded",
        "tokenize": "succeeded",
    }
    assert changed[0]["outputs"] == first[0]["outputs"]
    filtered = changed[1]["outputs"]["filtered_docs"]
    assert filtered > first[1]["outputs"]["filtered_docs"]
