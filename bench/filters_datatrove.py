"""datatrove side of bench/filters.py; runs inside bench/.venv-datatrove (datatrove 0.10.1).

Reads the corpus JSONL, runs LanguageFilter (lid.176 from the same local file, no download),
GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and FineWebQualityFilter through
their own ``run`` generators (as a datatrove pipeline does), single process, and writes the ids
of the documents that survive plus the measured seconds. With ``--reasons IDS`` it instead
reports, for the listed documents, which filter dropped each and why (direct ``filter`` calls).
"""

from __future__ import annotations

import argparse
import json
import time


def build(lid_path: str, languages: list[str] | None):
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from fasttext.FastText import _FastText

    lang = LanguageFilter(languages=languages, language_threshold=0.65)
    lang.model._model = _FastText(model_path=lid_path)  # the same local lid.176: no hub download
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
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()
