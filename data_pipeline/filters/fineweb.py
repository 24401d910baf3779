"""FineWeb quality rules (Penedo et al. 2024; thresholds as in datatrove's FineWebQualityFilter).

On non-blank lines: the share of lines ending in terminal punctuation (``stop_chars``, default
every script's sentence terminal) must be at least ``min_terminal_punctuation_lines`` = 0.12
(``few_terminal_punctuation_lines``); the share of lines of at most ``short_line_length`` = 30
characters at most ``max_short_lines`` = 0.67 (``too_many_short_lines``); characters in lines that
repeat an earlier line, over all characters except newlines, at most ``max_duplicate_line_chars``
= 0.01 (``duplicate_line_chars``); newlines per word at most ``max_newlines_per_word`` = 0.3
(``too_many_newlines``). No non-blank line: ``empty``.
"""

from __future__ import annotations

from data_pipeline.filters.base import Drop, Filter, Result, register_filter
from data_pipeline.filters.bounds import Count, Fraction, NonNegative
from data_pipeline.filters.doc import Doc
from data_pipeline.filters.gopher_repetition import duplicates
from data_pipeline.filters.words import TERMINAL_PUNCTUATION


@register_filter
class FineWebFilter(Filter):
    name = "fineweb"

    def __init__(
        self,
        min_terminal_punctuation_lines: Fraction = 0.12,
        exclude_zero_terminal_punctuation: bool = False,
        stop_chars: list[str] | None = None,
        max_short_lines: Fraction = 0.67,
        short_line_length: Count = 30,
        max_duplicate_line_chars: Fraction = 0.01,
        max_newlines_per_word: NonNegative = 0.3,
    ):
        self.min_terminal_punctuation_lines = min_terminal_punctuation_lines
        self.exclude_zero_terminal_punctuation = exclude_zero_terminal_punctuation
        self.stop_chars = stop_chars
        self.max_short_lines = max_short_lines
        self.short_line_length = short_line_length
        self.max_duplicate_line_chars = max_duplicate_line_chars
        self.max_newlines_per_word = max_newlines_per_word
        self._stops = tuple(stop_chars) if stop_chars else tuple(TERMINAL_PUNCTUATION)

    def check(self, doc: Doc) -> Result:
        text = doc.text
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return "empty"
        ratio = sum(1 for line in lines if line.endswith(self._stops)) / len(lines)
        if ratio < self.min_terminal_punctuation_lines and not (
            ratio == 0 and self.exclude_zero_terminal_punctuation
        ):
            return Drop("few_terminal_punctuation_lines", ratio)
        ratio = sum(1 for line in lines if len(line) <= self.short_line_length) / len(lines)
        if ratio > self.max_short_lines:
            return Drop("too_many_short_lines", ratio)
        chars = len(text) - text.count("\n")
        ratio = duplicates(lines)[1] / max(1, chars)
        if ratio > self.max_duplicate_line_chars:
            return Drop("duplicate_line_chars", ratio)
        ratio = text.count("\n") / max(1, len(doc.words.tokens))
        if ratio > self.max_newlines_per_word:
            return Drop("too_many_newlines", ratio)
        return None
