"""SFT tokenize on real Spark, Delta and streaming: chat rendering, response-only loss mask,
quarantine of malformed and over-length records, optional packing with sequence ids."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml
from streaming import StreamingDataset
from streaming.base.util import clean_stale_shared_memory

from data_pipeline.lakehouse.tables import QUARANTINE
from data_pipeline.lakehouse.tokenizer import load_fast_tokenizer, load_hf_tokenizer
from data_pipeline.project import load_project
from data_pipeline.runner import open_lakehouse, run_stage
from data_pipeline.tokenize.mds_sets import merge_stream
from data_pipeline.tokenize.sft import SftSpec
from data_pipeline.tokenize.sft_packing import columns, sft_partition
from data_pipeline.tokenize.sft_samples import wiki_qa_records
from tests.tokenizers import base_tokenizer

MAX = 256
GOOD = wiki_qa_records(18)
BAD = {
    "not json at all": "bad_json",
    json.dumps({"prompt": "What is X?"}): "missing_fields",
    json.dumps({"messages": [{"role": "user", "content": "hi"}]}): "no_assistant_turn",
    json.dumps({"messages": [{"role": "robot", "content": "x"}]}): "bad_role",
    json.dumps({"prompt": "Why?", "response": "   "}): "empty_turn",
    json.dumps({"prompt": "word " * 400, "response": "ok"}): "too_long",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory, request, spark):
    root = tmp_path_factory.mktemp("sft")
    lines = [json.dumps(r, ensure_ascii=False) for r in GOOD] + list(BAD)
    (root / "sft.jsonl").write_text("\n".join(lines) + "\n")
    config = {
        "lakehouse": str(root / "lakehouse"),
        "artifacts": str(root / "artifacts"),
        "spark": {"master": "local[2]", "shuffle_partitions": 2},
        "sources": [],
        "pipeline": ["sft_tokenize"],
        "stages": {
            "sft_tokenize": {
                "path": "sft.jsonl",
                "tokenizer": str(base_tokenizer(request.config)),
                "max_tokens": MAX,
                "parts": 2,
            }
        },
    }
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    return load_project(root / "pipeline.yaml")


@pytest.fixture(scope="module")
def result(project):
    clean_stale_shared_memory()
    return run_stage(project, "sft_tokenize", run_id="s1")


def _samples(result) -> list[dict]:
    folder = Path(result.report["shards"]) / "sft"
    dataset = StreamingDataset(local=str(folder), shuffle=False, batch_size=2)
    return [dataset[i] for i in range(dataset.num_samples)]


def test_mask_covers_exactly_the_responses(project, result):
    tok = load_fast_tokenizer(project.stages["sft_tokenize"]["tokenizer"])
    hf = load_hf_tokenizer(project.stages["sft_tokenize"]["tokenizer"])
    expected = {}
    for r in GOOD:
        messages = r.get("messages") or [
            {"role": "user", "content": r["prompt"]},
            {"role": "assistant", "content": r["response"]},
        ]
        answer = "".join(
            m["content"] + "<|im_end|>\n" for m in messages if m["role"] == "assistant"
        )
        expected[hf.apply_chat_template(messages, tokenize=False)] = answer
    samples = _samples(result)
    assert len(samples) == len(GOOD)
    seen = set()
    for s in samples:
        ids, mask = s["tokens"], s["loss_mask"]
        assert ids.dtype == np.uint16 and mask.dtype == np.uint8 and len(ids) == len(mask) <= MAX
        text = tok.decode(ids.tolist(), skip_special_tokens=False)
        assert tok.decode(ids[mask == 1].tolist(), skip_special_tokens=False) == expected[text]
        prompt = tok.decode(ids[: int(np.argmax(mask))].tolist(), skip_special_tokens=False)
        assert prompt.endswith("<|im_start|>assistant\n") and "<|im_start|>user\n" in prompt
        seen.add(text)
    assert seen == set(expected)


def test_bad_records_are_quarantined_with_reasons(project, result):
    counts = result.run.counts
    assert counts["input"] == len(GOOD) + len(BAD) == counts["kept"] + counts["quarantined"]
    assert counts["kept"] == len(GOOD) and counts["sequences"] == len(GOOD)
    for reason in BAD.values():
        assert counts[f"quarantined.{reason}"] == 1
    lake = open_lakehouse(project)
    rows = lake.read(QUARANTINE, result.outputs[QUARANTINE].version).collect()
    got = {r["raw"]: r["reason"] for r in rows if r["stage"] == "sft_tokenize"}
    assert got == {raw[:1024]: reason for raw, reason in BAD.items()}
    assert all(r["file"].endswith("sft.jsonl") and r["location"] for r in rows)
    assert f"artifact:mds-sft@{1}" in {str(t) for t in result.run.outputs}


def test_packing_keeps_examples_whole_and_marks_them(project, result, tmp_path):
    """The stage's Spark worker called in-process on the same records, with pack: true."""
    tok_dir = Path(project.stages["sft_tokenize"]["tokenizer"])
    spec = SftSpec(
        tokenizer_json=(tok_dir / "tokenizer.json").read_text(),
        chat_template=(tok_dir / "chat_template.jinja").read_text(),
        eos_token="<|im_end|>",
        max_tokens=MAX,
    )
    opts = {"columns": columns("uint16", True), "compression": "zstd", "hashes": ["sha1"]}
    rows = [
        {"stream": "sft", "part": 0, "source": "sft", "raw": json.dumps(r), "file": "f"}
        | {"location": str(i)}
        for i, r in enumerate(GOOD)
    ]
    worker = sft_partition(spec, str(tmp_path), "uint16", True, opts)
    out = next(worker(iter([pa.RecordBatch.from_pylist(rows)]))).to_pylist()
    merge_stream(tmp_path / "sft")
    dataset = StreamingDataset(local=str(tmp_path / "sft"), shuffle=False, batch_size=2)
    samples = [dataset[i] for i in range(dataset.num_samples)]
    assert len(samples) == next(r["sequences"] for r in out if r["kind"] == "group") < len(GOOD)
    plain = _samples(result)
    assert sum(len(s["tokens"]) for s in samples) == sum(len(s["tokens"]) for s in plain)
    assert sum(int(s["loss_mask"].sum()) for s in samples) == result.run.counts["response_tokens"]
    examples = 0
    for s in samples:
        assert len(s["tokens"]) <= MAX and len(s["sequence_id"]) == len(s["tokens"])
        ids = s["sequence_id"]
        assert ids[0] == 0 and np.all(np.diff(ids.astype(int)) >= 0)
        examples += int(ids[-1]) + 1
    assert examples == len(GOOD)
