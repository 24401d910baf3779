"""The measured cases of ``bench/tokenize_mds.py``: each turns the same texts into tokens.

- ``run_ceiling``: ``tokenizers`` alone (and ladder's Spark worker function called directly)
  in a fresh one-thread process; returns ``{case: (tokens, CPU s, wall s)}``.
- ``StageMeter``: ladder's ``tokenize`` stage through ``run_stage``, with marks around its data
  path; returns the stage's counts and wall/CPU seconds.
- ``run_dataframe_to_mds``: mosaicml-streaming's ``dataframe_to_mds`` with a tokenising udf;
  returns (wall s, tokens written).

CPU seconds of the Spark cases are the whole machine's busy time (``busy_cpu_seconds``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.dedup.common import busy_cpu_seconds

REPO = Path(__file__).resolve().parent.parent

CEILING = r"""
import json, shutil, sys, time
import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Tokenizer
sys.path.insert(0, sys.argv[3])
from data_pipeline.tokenize import packing
texts = pq.read_table(sys.argv[2]).column("text").to_pylist()
tok_json = open(sys.argv[1], encoding="utf-8").read()
batches = [
    pa.RecordBatch.from_pylist([{"stream": "s", "part": 0, "source": "s", "text": t} for t in
                                texts[i:i + 10000]])
    for i in range(0, len(texts), 10000)
]
result = {}
for key in ("encode", "ids", "pack"):
    tok = Tokenizer.from_str(tok_json)  # fresh: a cold BPE cache, like a one-pass job
    cpu, wall, tokens = time.process_time(), time.perf_counter(), 0
    if key == "pack":  # ladder's Spark worker function, called in this process
        packing._TOKENIZERS.clear()
        spec = packing.PackSpec(tok_json, 0, None, 2048, "uint16", sys.argv[4])
        shutil.rmtree(sys.argv[4], ignore_errors=True)
        rows = list(packing.pack_partition(spec)(iter(batches)))
        tokens = sum(r["tokens"] for b in rows for r in b.to_pylist() if r["kind"] == "source")
    else:
        for i in range(0, len(texts), 10000):
            encs = tok.encode_batch_fast(texts[i:i + 10000], add_special_tokens=False)
            tokens += sum(len(e.ids) for e in encs) if key == "ids" else sum(map(len, encs))
    result[key] = (tokens, time.process_time() - cpu, time.perf_counter() - wall)
print(json.dumps(result))
"""


def run_ceiling(tok_json: Path, texts_file: Path, scratch: Path) -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    args = [str(tok_json), str(texts_file), str(REPO), str(scratch)]
    done = subprocess.run(
        [sys.executable, "-c", CEILING, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_dataframe_to_mds(df, tok_json: str, out: Path, seq_len: int) -> tuple[float, int]:
    from streaming.base.converters import dataframe_to_mds

    def pack(pdf, tokenizer_json: str, seq_len: int, eos: int):
        import numpy as np

        global _BENCH_TOK
        try:
            tok = _BENCH_TOK
        except NameError:
            from tokenizers import Tokenizer

            os.environ["TOKENIZERS_PARALLELISM"] = "false"  # one thread per task, as ours
            tok = _BENCH_TOK = Tokenizer.from_str(tokenizer_json)
        encs = tok.encode_batch_fast(pdf["text"].tolist(), add_special_tokens=False)
        flat = np.fromiter(
            (t for e in encs for t in [*e.ids, eos]), np.uint16, count=sum(len(e) + 1 for e in encs)
        )
        for j in range(len(flat) // seq_len):
            yield {"tokens": flat[j * seq_len : (j + 1) * seq_len]}

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    dataframe_to_mds(
        df,
        merge_index=True,
        mds_kwargs={
            "out": str(out),
            "columns": {"tokens": "ndarray:uint16"},
            "compression": "zstd",
            "hashes": ["sha1", "xxh64"],
        },
        udf_iterable=pack,
        udf_kwargs={"tokenizer_json": tok_json, "seq_len": seq_len, "eos": 0},
    )
    seconds = time.perf_counter() - started
    index = json.loads((out / "index.json").read_text())
    return seconds, sum(s["samples"] for s in index["shards"]) * seq_len


class StageMeter:
    """CPU and wall marks around the tokenize stage's data path (bench instrumentation only).

    The data path runs from the stage's first read of its input to the end of
    ``finish_shard_set`` (every shard written, tails packed, indexes merged); what follows is
    the artifact registration and the Delta commits of the held-out, rejects and token-count
    tables, and what precedes it the run record.
    """

    def __init__(self):
        from data_pipeline.stages import registry
        from data_pipeline.tokenize import stage

        self.marks = {}
        read, finish = registry.StageContext.read, stage.finish_shard_set

        def marked_read(ctx, *args, **kwargs):
            self.marks.setdefault("read", self.now())
            return read(ctx, *args, **kwargs)

        def marked_finish(*args, **kwargs):
            out = finish(*args, **kwargs)
            self.marks["finished"] = self.now()
            return out

        registry.StageContext.read = marked_read
        stage.finish_shard_set = marked_finish

    def now(self) -> tuple[float, float]:
        return time.perf_counter(), busy_cpu_seconds()

    def run(self, project, config) -> tuple[dict, dict[str, float]]:
        """Run the stage; return its counts and wall/CPU seconds of the stage and data path."""
        from data_pipeline.runner import new_run_id, run_stage

        self.marks.clear()
        started = self.now()
        result = run_stage(
            project, "tokenize", run_id=new_run_id(), force=True, config_override=config
        )
        ended = self.now()
        (read_s, read_cpu), (done_s, done_cpu) = self.marks["read"], self.marks["finished"]
        return result.run.counts, {
            "stage_s": ended[0] - started[0],
            "stage_cpu": ended[1] - started[1],
            "path_s": done_s - read_s,
            "path_cpu": done_cpu - read_cpu,
        }
