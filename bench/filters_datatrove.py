"""datatrove side of bench/filters.py; runs inside bench/.venv-datatrove (datatrove 0.10.1).

Reads the corpus JSONL, runs LanguageFilter (lid.176 from the same local file, no download),
GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and FineWebQualityFilter through
their own ``run`` generators (as a datatrove pipeline does), single process, and writes the ids
of the documents that survive plus the measured seconds. With ``--reasons IDS`` it instead
reports, for the listed documents, which filter dropped each and why (direct ``filter`` calls).
With ``--pipeline INPUT_FOLDER`` it runs the whole stage as datatrove runs it: a
``LocalPipelineExecutor`` of ``--tasks`` tasks on ``--workers`` processes, each reading its share
of the JSONL files, filtering and writing the kept documents with ``JsonlWriter`` (uncompressed,
the cheapest output it offers), timed from the executor's start to its end.
"""

from __future__ import annotations

import argparse
import json
import time


def local_lid(lid_path: str, languages: list[str] | None):
    """datatrove's fastText lid.176 wrapper reading the given local file (no download); it is
    loaded lazily in each worker, as datatrove does."""
    from datatrove.utils.lid import FT176LID

    class LocalFT176(FT176LID):
        @property
        def model(self):
            if self._model is None:
                from fasttext.FastText import _FastText

                self._model = _FastText(model_path=lid_path)
            return self._model

    return LocalFT176(languages)


def build(lid_path: str, languages: list[str] | None):
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )

    lang = LanguageFilter(languages=languages, language_threshold=0.65)
    lang.model = local_lid(lid_path, languages)  # the same local lid.176: no hub download
    return [
        lang,
        GopherQualityFilter(),
        GopherRepetitionFilter(),
        C4QualityFilter(),
        FineWebQualityFilter(),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--lid", required=True)
    ap.add_argument("--languages", nargs="*")
    ap.add_argument("--reasons")
    ap.add_argument("--pipeline", help="input folder of JSONL files: run the whole stage")
    ap.add_argument("--written", help="with --pipeline: the folder for the kept documents")
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if args.pipeline:
        run_pipeline(args)
        return
    from datatrove.data import Document

    with open(args.corpus, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    steps = build(args.lid, args.languages or None)
    if args.reasons:
        with open(args.reasons) as f:
            wanted = set(json.load(f))
        out = {}
        for r in rows:
            if r["id"] not in wanted:
                continue
            doc = Document(text=r["text"], id=r["id"])
            out[r["id"]] = None
            for step in steps:
                res = step.filter(doc)
                ok, why = (res, None) if not isinstance(res, tuple) else res
                if not ok:
                    out[r["id"]] = f"{step.__class__.__name__}.{why or 'language'}"
                    break
        with open(args.out, "w") as f:
            json.dump(out, f)
        return
    docs = [Document(text=r["text"], id=r["id"]) for r in rows]
    for step in steps:  # warm up: load models and tokenizers outside the timed loop
        list(step.run(iter([Document(text="Warm up the tokenizers and the model. " * 20, id="w")])))
    start = time.perf_counter()
    stream = iter(docs)
    for step in steps:
        stream = step.run(stream)
    kept = [d.id for d in stream]
    seconds = time.perf_counter() - start
    with open(args.out, "w") as f:
        json.dump({"seconds": seconds, "kept": kept, "docs": len(docs)}, f)


def run_pipeline(args) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    steps = build(args.lid, args.languages or None)
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(args.pipeline, glob_pattern="*.jsonl"),
            *steps,
            JsonlWriter(args.written, compression=None),
        ],
        tasks=args.tasks,
        workers=args.workers,
        logging_dir=args.out + ".logs",
        skip_completed=False,
        start_method="fork",
    )
    start = time.perf_counter()
    executor.run()
    seconds = time.perf_counter() - start
    with open(args.out, "w") as f:
        json.dump({"seconds": seconds}, f)


if __name__ == "__main__":
    main()
