"""Tokenisation throughput: ladder's tokenize stage vs the tokenizer alone vs dataframe_to_mds.

    .venv/bin/python bench/tokenize_mds.py [--chars 24000000] [--cores 2] [--seq-len 2048]

Builds a Delta table of real text (Wikipedia summaries en/fr/es and parliament speeches,
cycled to about --chars characters) under bench/out/tokenize, then in one run measures, with
the base model's (SmolLM2) tokenizer:

1. ceiling: the same texts batch-encoded by ``tokenizers`` alone (``encode_batch_fast`` in
   batches of 10,000 documents, Spark's Arrow batch size; one process, one thread, a fresh
   tokenizer, best of 2), with and without turning the ids into Python lists (the packer needs
   them); beside it, ladder's Spark worker function (tokenise, pack, write MDS) called in the
   same kind of process on the same batches, to separate our code from Spark's costs;
2. ours: the ``tokenize`` stage on Spark ``local[--cores]`` (read Delta, tokenise, pack into
   --seq-len sequences, write zstd MDS with shard hashes, merge indexes), held-out split off.
   Reported twice: the tokenise-pack-write Spark job alone, and the whole stage run with its
   planning, manifest, artifact registration and Delta commits;
3. ``streaming.base.converters.dataframe_to_mds`` on the same table and Spark session, with a
   ``udf_iterable`` that tokenises each pandas batch with a cached tokenizer and packs it
   (dropping each batch's tail: the converter has no way to carry it over).

Per-core figures divide wall-clock throughput by the cores used (1 for the ceiling, --cores for
Spark). Because the machine is shared with other jobs, the run also reports tokens per CPU
second: the CPU time of the ceiling process, and of this process plus the Spark JVM and all its
Python workers (psutil) during each Spark run. Compare ratios from one run, not absolute times.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out" / "tokenize"

CEILING = r"""
import json, shutil, sys, time
import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Tokenizer
sys.path.insert(0, sys.argv[3])
from data_pipeline import packing
texts = pq.read_table(sys.argv[2]).column("text").to_pylist()
tok_json = open(sys.argv[1], encoding="utf-8").read()
batches = [
    pa.RecordBatch.from_pylist([{"stream": "s", "part": 0, "source": "s", "text": t} for t in
                                texts[i:i + 10000]])
    for i in range(0, len(texts), 10000)
]
best = {}
for repeat in range(2):
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
        got = (tokens, time.process_time() - cpu, time.perf_counter() - wall)
        if key not in best or got[1] < best[key][1]:
            best[key] = got
print(json.dumps(best))
"""


def build_table(spark, lake_root: Path, chars: int) -> tuple[int, int]:
    from data_pipeline import schemas
    from data_pipeline.lakehouse import CommitInfo, Lakehouse, TableWrite
    from data_pipeline.samples import PARL, csv_in_zip, wiki_records
    from data_pipeline.samples import WIKI_LANGS as WIKI

    by_source = {f"wiki_{lang}": [r["text"] for r in wiki_records(lang)] for lang in WIKI}
    for lang, relative in PARL.items():
        by_source[f"parl_{lang}"] = [r["text"] for r in csv_in_zip(relative)]
    # interleave the sources so that any size holds all of them
    pool = [
        (source, texts[i])
        for i in range(max(map(len, by_source.values())))
        for source, texts in by_source.items()
        if i < len(texts) and texts[i].strip()
    ]
    rows, total, i = [], 0, 0
    now = dt.datetime(2024, 1, 1)
    while total < chars:
        source, text = pool[i % len(pool)]
        doc_id = hashlib.sha256(f"{i}\0{text}".encode()).hexdigest()[:32]
        rows.append((doc_id, text, source, "mixed", f"bench:{i}", {}, now, "bench"))
        total += len(text)
        i += 1
    lake = Lakehouse(str(lake_root), spark)
    df = spark.createDataFrame(rows, schemas.DOCUMENTS)
    lake.write(TableWrite("bench_docs", df), CommitInfo("bench", "bench", "h", "c"))
    return len(rows), total


def run_ceiling(tok_json: Path, texts_file: Path, scratch: Path) -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    done = subprocess.run(
        [sys.executable, "-c", CEILING, str(tok_json), str(texts_file), str(REPO), str(scratch)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def spark_cpu_seconds(spark) -> float:
    """CPU seconds used so far by this process, the Spark JVM and its Python workers."""
    import psutil

    def used(p: psutil.Process) -> float:
        t = p.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

    me = psutil.Process()
    total = me.cpu_times().user + me.cpu_times().system
    jvm = psutil.Process(spark.sparkContext._gateway.proc.pid)
    for p in [jvm, *jvm.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += used(p)
    return total


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", type=int, default=24_000_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=2048)
    args = parser.parse_args()
    os.environ.setdefault("LADDER_SPARK_JARS_DIR", str(REPO / "infra" / "jars"))
    from data_pipeline.config import SparkSettings
    from data_pipeline.project import load_project
    from data_pipeline.runner import run_stage
    from data_pipeline.spark import get_spark
    from data_pipeline.tokenizer import default_tokenizer_dir, tokenizer_json_path

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    tok_dir = default_tokenizer_dir(REPO / "artifacts")
    tok_json = tokenizer_json_path(tok_dir)
    master = f"local[{args.cores}]"
    spark = get_spark(SparkSettings(master=master, driver_memory="4g", shuffle_partitions=4))
    docs, chars = build_table(spark, OUT / "lakehouse", args.chars)
    table = spark.read.format("delta").load(str(OUT / "lakehouse" / "bench_docs"))
    table.select("text").write.parquet(str(OUT / "texts.parquet"))
    ceiling = run_ceiling(tok_json, OUT / "texts.parquet", OUT / "inprocess")
    # Warm one Python worker per core (importing streaming imports torch: seconds of CPU per
    # worker process) so that neither Spark run below pays it.
    spark.range(args.cores, numPartitions=args.cores).mapInPandas(_warm, "n long").collect()

    config = {
        "lakehouse": str(OUT / "lakehouse"),
        "artifacts": str(OUT / "artifacts"),
        "spark": {"master": master},
        "pipeline": ["tokenize"],
        "stages": {
            "tokenize": {
                "input_table": "bench_docs",
                "tokenizer": str(tok_dir),
                "eos_token": "<|endoftext|>",
                "seq_len": args.seq_len,
                "part_chars": max(1000, chars // (2 * args.cores)),
                "heldout": {"fraction": 0.0, "min_docs": 0},
            }
        },
    }
    (OUT / "pipeline.yaml").write_text(yaml.safe_dump(config))
    project = load_project(OUT / "pipeline.yaml")
    started, cpu = time.perf_counter(), spark_cpu_seconds(spark)
    result = run_stage(project, "tokenize", run_id="bench", force=True)
    stage_s, stage_cpu = time.perf_counter() - started, spark_cpu_seconds(spark) - cpu
    job_s = result.report["timings_s"]["tokenize_pack_write"]
    ours_tokens = result.run.counts["tokens"]
    written = result.run.counts["tokens.written"]

    d2m_df = table.select("text").repartition(2 * args.cores)
    cpu = spark_cpu_seconds(spark)
    d2m_s, d2m_written = run_dataframe_to_mds(
        d2m_df, tok_json.read_text(), OUT / "d2m", args.seq_len
    )
    d2m_cpu = spark_cpu_seconds(spark) - cpu

    enc_tokens, enc_cpu, enc_s = ceiling["encode"]
    ids_tokens, ids_cpu, ids_s = ceiling["ids"]
    pack_tokens, pack_cpu, pack_s = ceiling["pack"]
    cores = args.cores
    # name: (tokens per wall second, cores, tokens per CPU second)
    rows = {
        "ceiling: encode_batch_fast, 1 thread": (enc_tokens / enc_s, 1, enc_tokens / enc_cpu),
        "ceiling: encode_batch_fast + ids, 1 thread": (ids_tokens / ids_s, 1, ids_tokens / ids_cpu),
        "ours, worker code in one process (no Spark)": (
            pack_tokens / pack_s,
            1,
            pack_tokens / pack_cpu,
        ),
        f"ours: tokenise-pack-write job, local[{cores}]": (ours_tokens / job_s, cores, None),
        f"ours: whole tokenize stage, local[{cores}]": (
            ours_tokens / stage_s,
            cores,
            ours_tokens / stage_cpu,
        ),
        f"dataframe_to_mds + tokenise udf, local[{cores}]": (
            ours_tokens / d2m_s,
            cores,
            ours_tokens / d2m_cpu,
        ),
    }
    wall_base, cpu_base = ids_tokens / ids_s, ids_tokens / ids_cpu
    print(
        f"\n{docs:,} documents, {chars / 1e6:.1f} M characters, {ours_tokens:,} tokens "
        f"(with EOS), seq_len {args.seq_len}, {cores} Spark cores"
    )
    print(
        f"{'pipeline':<50}{'tok/s wall':>11}{'/core':>9}{'x ceil':>8}{'tok/CPU-s':>11}{'x ceil':>8}"
    )
    for name, (rate, n, per_cpu) in rows.items():
        cpu_cols = (
            f"{per_cpu:>11,.0f}{per_cpu / cpu_base:>8.2f}" if per_cpu else f"{'-':>11}{'-':>8}"
        )
        print(f"{name:<50}{rate:>11,.0f}{rate / n:>9,.0f}{rate / n / wall_base:>8.2f}{cpu_cols}")
    print(
        f"\ndataframe_to_mds time / ours (same cores): whole stage {d2m_s / stage_s:.2f}, "
        f"job only {d2m_s / job_s:.2f}; CPU seconds: ours {stage_cpu:.1f}, "
        f"dataframe_to_mds {d2m_cpu:.1f}"
    )
    lost_ours, lost_d2m = ours_tokens - written, ours_tokens - d2m_written
    print(
        f"tokens written: ours {written:,} ({lost_ours:,} dropped, "
        f"{lost_ours / ours_tokens:.4%}); dataframe_to_mds {d2m_written:,} "
        f"({lost_d2m:,} dropped, {lost_d2m / ours_tokens:.3%})"
    )
    summary = {
        "docs": docs,
        "chars": chars,
        "tokens": ours_tokens,
        "cores": cores,
        "ceiling": ceiling,
        "ours_job_s": job_s,
        "ours_stage_s": stage_s,
        "ours_stage_cpu_s": stage_cpu,
        "d2m_s": d2m_s,
        "d2m_cpu_s": d2m_cpu,
        "written": {"ours": written, "d2m": d2m_written},
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1))


def _warm(batches):
    import streaming  # noqa: F401
    import tokenizers  # noqa: F401

    time.sleep(3)  # keep the task busy so that every core starts its own worker
    for batch in batches:
        yield batch[[]].assign(n=len(batch))


if __name__ == "__main__":
    main()
