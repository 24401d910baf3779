"""Gopher quality rules (Rae et al. 2021, appendix A; thresholds as in datatrove).

Words are the document's language-aware tokens (``words.py``); "non-symbol words" are tokens
with at least one character that is not punctuation. Rules, in order, with their reasons:

- non-symbol words in [``min_words``=50, ``max_words``=100,000]: ``too_few_words`` /
  ``too_many_words``
- mean non-symbol word length in [3, 10] characters: ``short_mean_word_length`` /
  ``long_mean_word_length`` (skipped for Chinese/Japanese, split into characters)
- ``#`` per token and ``...``/``…`` per token at most 0.1: ``too_many_hashes`` /
  ``too_many_ellipses``
- lines starting with a bullet at most 0.9: ``too_many_bullet_lines``
- lines ending with an ellipsis at most 0.3: ``too_many_ellipsis_lines``
- tokens containing a letter at least 0.8: ``too_few_alpha_words``. As in datatrove, punctuation
  tokens count (``alpha_ratio_of: tokens``), which fails heavily punctuated prose (French
  Wikipedia with dates and parentheses: ~7% of lead paragraphs); ``alpha_ratio_of: words``
  measures the share of non-symbol words, as the Gopher paper words it (numbers still count
  against)
- at least ``min_stop_words``=2 distinct stop words of the language (``stopwords.py``; exact,
  case-sensitive match as in datatrove): ``too_few_stop_words``

Word-count and word-length rules are skipped for scripts without a segmenter
(``skipped.gopher_quality.approximate_word_split``); the stop-word rule is skipped for languages
without a list (``skipped.gopher_quality.no_stop_words_for_language``). Either is counted, never
a silent drop. ``stop_words`` set explicitly applies to every language.
"""

from __future__ import annotations

from typing import Literal

from data_pipeline.filters.base import Drop, Filter, Result, register_filter
from data_pipeline.filters.bounds import Count, Fraction, NonNegative
from data_pipeline.filters.doc import Doc
from data_pipeline.filters.stopwords import stop_words_for
from data_pipeline.filters.words import has_letter

BULLETS = ("•", "-", "*", "–", "‣", "◦", "▪", "●")


@register_filter
class GopherQualityFilter(Filter):
    name = "gopher_quality"

    def __init__(
        self,
        min_words: Count | None = 50,
        max_words: Count | None = 100_000,
        min_mean_word_length: NonNegative | None = 3,
        max_mean_word_length: NonNegative | None = 10,
        max_symbol_word_ratio: Fraction | None = 0.1,
        max_bullet_lines_ratio: Fraction | None = 0.9,
        max_ellipsis_lines_ratio: Fraction | None = 0.3,
        min_alpha_words_ratio: Fraction | None = 0.8,
        alpha_ratio_of: Literal["tokens", "words"] = "tokens",
        min_stop_words: Count | None = 2,
        stop_words: list[str] | None = None,
    ):
        self.min_words = min_words
        self.max_words = max_words
        self.min_mean_word_length = min_mean_word_length
        self.max_mean_word_length = max_mean_word_length
        self.max_symbol_word_ratio = max_symbol_word_ratio
        self.max_bullet_lines_ratio = max_bullet_lines_ratio
        self.max_ellipsis_lines_ratio = max_ellipsis_lines_ratio
        self.min_alpha_words_ratio = min_alpha_words_ratio
        self.alpha_ratio_of = alpha_ratio_of
        self.min_stop_words = min_stop_words
        self.stop_words = stop_words
        self._stop = frozenset(stop_words) if stop_words is not None else None

    def check(self, doc: Doc) -> Result:
        split = doc.words
        tokens = split.tokens
        words = split.words
        n = len(words)
        if split.approximate:
            self.skip(doc, "approximate_word_split")
        else:
            if self.min_words and n < self.min_words:
                return Drop("too_few_words", n)
            if self.max_words and n > self.max_words:
                return Drop("too_many_words", n)
            if split.mode == "space" and n:
                mean = sum(map(len, words)) / n
                if self.min_mean_word_length and mean < self.min_mean_word_length:
                    return Drop("short_mean_word_length", mean)
                if self.max_mean_word_length and mean > self.max_mean_word_length:
                    return Drop("long_mean_word_length", mean)
        if not tokens:
            return Drop("too_few_words", 0)
        text, total = doc.text, len(tokens)
        if self.max_symbol_word_ratio is not None:
            if (ratio := text.count("#") / total) > self.max_symbol_word_ratio:
                return Drop("too_many_hashes", ratio)
            ellipses = text.count("...") + text.count("…")
            if (ratio := ellipses / total) > self.max_symbol_word_ratio:
                return Drop("too_many_ellipses", ratio)
        lines = doc.lines or [""]
        if self.max_bullet_lines_ratio is not None:
            bullets = sum(1 for line in lines if line.lstrip().startswith(BULLETS))
            if (ratio := bullets / len(lines)) > self.max_bullet_lines_ratio:
                return Drop("too_many_bullet_lines", ratio)
        if self.max_ellipsis_lines_ratio is not None:
            ends = sum(1 for line in lines if line.rstrip().endswith(("...", "…")))
            if (ratio := ends / len(lines)) > self.max_ellipsis_lines_ratio:
                return Drop("too_many_ellipsis_lines", ratio)
        if self.min_alpha_words_ratio is not None:
            pool = tokens if self.alpha_ratio_of == "tokens" else words
            ratio = sum(map(has_letter, pool)) / max(1, len(pool))
            if ratio < self.min_alpha_words_ratio:
                return Drop("too_few_alpha_words", ratio)
        if self.min_stop_words:
            stop = self._stop if self._stop is not None else stop_words_for(doc.lang)
            if stop is None:
                self.skip(doc, "no_stop_words_for_language")
            elif (found := len(stop.intersection(tokens))) < self.min_stop_words:
                return Drop("too_few_stop_words", found)
        return None
