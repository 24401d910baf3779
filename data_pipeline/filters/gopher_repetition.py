"""Gopher repetition rules (Rae et al. 2021, table A1; thresholds as in datatrove).

Fractions are of the document's characters unless named otherwise. Reasons, in order:

- paragraphs (split on blank lines) that repeat an earlier one, share > 0.30 of paragraphs:
  ``duplicate_paragraphs``; their characters > 0.20: ``duplicate_paragraph_chars``
- lines that repeat an earlier one > 0.30 of lines: ``duplicate_lines``; characters > 0.20:
  ``duplicate_line_chars``
- the most frequent 2/3/4-gram of tokens covers > 0.20/0.18/0.16 of characters
  (occurrences × length of the space-joined n-gram): ``top_2_gram``, ``top_3_gram``, ``top_4_gram``.
  Unlike datatrove, an n-gram that occurs once is not repetition and never counts (datatrove
  drops most texts under ~20 words this way; longer texts are unaffected).
- characters in repeated 5…10-grams (non-overlapping, scanning left to right) > 0.15 … 0.10:
  ``duplicate_5_gram`` … ``duplicate_10_gram``
- empty text: ``empty``

Tokens come from the language-aware split (``words.py``), so Chinese/Japanese n-grams are
character n-grams.
"""

from __future__ import annotations

import re
from collections import Counter

from data_pipeline.filters.base import Drop, Filter, Result, register_filter
from data_pipeline.filters.bounds import Fraction
from data_pipeline.filters.doc import Doc

_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")


def duplicates(items: list[str]) -> tuple[int, int]:
    """(number of items equal to an earlier one, their total characters)."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def top_ngram_chars(tokens: list[str], n: int) -> int:
    """Occurrences × space-joined length of the most frequent ``n``-gram (0 unless repeated)."""
    if len(tokens) < n:
        return 0
    grams = Counter(zip(*(tokens[i:] for i in range(n)), strict=False))
    gram, times = grams.most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * times if times > 1 else 0


def repeated_ngram_chars(tokens: list[str], n: int) -> int:
    """Characters (tokens joined without spaces) in ``n``-grams seen before, non-overlapping."""
    grams = list(zip(*(tokens[i:] for i in range(n)), strict=False))
    if len(set(grams)) == len(grams):
        return 0  # nothing repeats (the common case), decided in C
    lengths = [len(t) for t in tokens]
    seen: set[tuple[str, ...]] = set()
    chars, i, last = 0, 0, len(grams) - 1
    while i <= last:
        gram = grams[i]
        if gram in seen:
            chars += sum(lengths[i : i + n])
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


@register_filter
class GopherRepetitionFilter(Filter):
    name = "gopher_repetition"

    def __init__(
        self,
        max_duplicate_paragraphs: Fraction | None = 0.3,
        max_duplicate_paragraph_chars: Fraction | None = 0.2,
        max_duplicate_lines: Fraction | None = 0.3,
        max_duplicate_line_chars: Fraction | None = 0.2,
        top_ngrams: dict[int, Fraction] | None = None,
        duplicate_ngrams: dict[int, Fraction] | None = None,
    ):
        self.max_duplicate_paragraphs = max_duplicate_paragraphs
        self.max_duplicate_paragraph_chars = max_duplicate_paragraph_chars
        self.max_duplicate_lines = max_duplicate_lines
        self.max_duplicate_line_chars = max_duplicate_line_chars
        self.top_ngrams = top_ngrams if top_ngrams is not None else {2: 0.2, 3: 0.18, 4: 0.16}
        self.duplicate_ngrams = (
            duplicate_ngrams
            if duplicate_ngrams is not None
            else {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}
        )

    def check(self, doc: Doc) -> Result:
        text = doc.text
        if not text:
            return "empty"
        size = len(text)
        paragraphs = _PARAGRAPHS.split(text.strip())
        count, chars = duplicates(paragraphs)
        lines = _LINES.split(text)
        line_count, line_chars = duplicates(lines)
        for limit, ratio, reason in (
            (self.max_duplicate_paragraphs, count / len(paragraphs), "duplicate_paragraphs"),
            (self.max_duplicate_paragraph_chars, chars / size, "duplicate_paragraph_chars"),
            (self.max_duplicate_lines, line_count / len(lines), "duplicate_lines"),
            (self.max_duplicate_line_chars, line_chars / size, "duplicate_line_chars"),
        ):
            if limit is not None and ratio > limit:
                return Drop(reason, ratio)
        tokens = doc.words.tokens
        for n, limit in sorted(self.top_ngrams.items()):
            if (ratio := top_ngram_chars(tokens, n) / size) > limit:
                return Drop(f"top_{n}_gram", ratio)
        for n, limit in sorted(self.duplicate_ngrams.items()):
            chars = repeated_ngram_chars(tokens, n)
            if chars == 0:
                break  # no repeated n-gram means no repeated longer n-gram either
            if (ratio := chars / size) > limit:
                return Drop(f"duplicate_{n}_gram", ratio)
        return None
