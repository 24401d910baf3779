"""Explicit / toxic word-list filter with per-language lists.

Built-in lists: LDNOOBW (CC BY 4.0, Shutterstock and contributors; origin, licence and changes in
``wordlists/ldnoobw/README.md``), 27 languages. Any list can be replaced or extended per language
from a file of one entry per line (``lists: {en: path/to/list.txt}``) or inline
(``extra_words``); ``ignore_words`` removes entries (e.g. medical terms for a health corpus).

Matching is case-insensitive on whole tokens for languages written with spaces (multi-word entries
match as phrases), and on substrings for Chinese, Japanese and Thai. A document is dropped
(``bad_words``, score = matches per 100 words) when it has at least ``min_matches`` matches
and at least ``min_ratio`` matches per word; with ``action: tag`` it is kept and tagged ``unsafe``
instead. A language without a list is skipped with ``skipped.safety.no_word_list_for_language``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from data_pipeline.filters.base import Drop, Filter, Result, register_filter
from data_pipeline.filters.bounds import Count, Fraction
from data_pipeline.filters.doc import Doc
from data_pipeline.filters.words import CHAR_LANGS, UNSEGMENTED_LANGS

WORDLISTS = Path(__file__).parent / "wordlists" / "ldnoobw"


@cache
def load_word_list(lang: str, path: str | None = None) -> frozenset[str]:
    """Entries of the built-in list of ``lang`` (or of ``path``), lower-cased; empty if none."""
    file = Path(path) if path else WORDLISTS / f"{lang}.txt"
    if not file.is_file():
        if path:
            raise FileNotFoundError(f"word list {path} does not exist")
        return frozenset()
    lines = file.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


class WordListMatcher:
    """Counts entries of a word list in a text, by tokens or by substrings."""

    def __init__(self, entries: frozenset[str], substrings: bool = False):
        self.substrings = substrings
        self.entries = entries
        self.single = frozenset(e for e in entries if " " not in e)
        self.phrases = tuple(e for e in entries if " " in e)

    def count(self, text: str, tokens: list[str]) -> int:
        """Matches in ``text`` (whose tokens are ``tokens``)."""
        lower = text.lower()
        if self.substrings:
            return sum(lower.count(e) for e in self.entries)
        found = sum(map(self.single.__contains__, map(str.lower, tokens)))
        return found + sum(lower.count(p) for p in self.phrases if p in lower)


@register_filter
class SafetyFilter(Filter):
    name = "safety"

    def __init__(
        self,
        min_matches: Count = 1,
        min_ratio: Fraction = 0.0,
        action: Literal["drop", "tag"] = "drop",
        lists: dict[str, str] | None = None,
        extra_words: dict[str, list[str]] | None = None,
        ignore_words: list[str] | None = None,
        builtin: bool = True,
    ):
        self.min_matches = min_matches
        self.min_ratio = min_ratio
        self.action = action
        self.lists = dict(lists or {})
        self.extra_words = dict(extra_words or {})
        self.ignore_words = list(ignore_words or [])
        self.builtin = builtin
        self._matchers: dict[str, WordListMatcher | None] = {}

    def matcher(self, lang: str) -> WordListMatcher | None:
        if lang not in self._matchers:
            entries: frozenset[str] = frozenset()
            if lang in self.lists:
                entries = load_word_list(lang, self.lists[lang])
            elif self.builtin:
                entries = load_word_list(lang)
            entries = (entries | {w.lower() for w in self.extra_words.get(lang, [])}) - {
                w.lower() for w in self.ignore_words
            }
            substrings = lang in CHAR_LANGS or lang in UNSEGMENTED_LANGS
            self._matchers[lang] = WordListMatcher(entries, substrings) if entries else None
        return self._matchers[lang]

    def check(self, doc: Doc) -> Result:
        matcher = self.matcher(doc.lang or "und")
        if matcher is None:
            self.skip(doc, "no_word_list_for_language")
            return None
        tokens = doc.words.tokens
        matches = matcher.count(doc.text, tokens)
        words = max(1, len(doc.words.words))
        if matches >= max(1, self.min_matches) and matches / words >= self.min_ratio:
            if self.action == "tag":
                doc.tag("unsafe")
                doc.count("tagged.safety.unsafe")
                return None
            return Drop("bad_words", 100.0 * matches / words)
        return None
