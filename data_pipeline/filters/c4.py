"""C4 rules (Raffel et al. 2020): line-level clean-up, then document rules.

Line clean-up (each removed line is counted as ``edited.c4.<why>``, the removed characters as
``chars.edited.c4``): a line is removed when a word is longer than ``max_word_length`` (1,000)
(``long_word``), when it does not end in terminal punctuation or ends with an ellipsis
(``no_terminal_punctuation``), when it has fewer than ``min_words_per_line`` (3) words
(``too_few_words``), mentions "javascript" (``javascript``) or cookie/terms-of-use boilerplate
(``policy``). Wikipedia citation marks (``[1]``, ``[edit]``, ``[citation needed]``) are removed.

Document reasons: ``lorem_ipsum`` (the phrase appears in a kept line), ``curly_bracket`` (a kept
line has ``{``), ``too_few_sentences`` (fewer than ``min_sentences`` = 5 in the kept lines),
``bad_words`` (with ``bad_words: true``: a word of the LDNOOBW list of the document's language, as
C4 did for English; see ``wordlists/ldnoobw/README.md``).

Terminal punctuation is ``. ? ! " '`` plus every script's sentence terminal (``。`` etc.). Words
per line are whitespace-separated words, or non-symbol characters for Chinese/Japanese (for which
the minimum is doubled); the words-per-line rule is skipped for scripts without spaces between
words (``skipped.c4.approximate_word_split``).
"""

from __future__ import annotations

import re

from data_pipeline.filters.base import Drop, Filter, Result, register_filter
from data_pipeline.filters.bounds import Count
from data_pipeline.filters.doc import Doc
from data_pipeline.filters.safety import SafetyFilter, WordListMatcher
from data_pipeline.filters.words import (
    TERMINAL_PUNCTUATION,
    count_sentences,
    split_mode,
    split_words,
)

CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]", re.IGNORECASE)
END_PUNCTUATION = tuple({".", "?", "!", '"', "'"} | TERMINAL_PUNCTUATION - {"…"})
POLICY = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)


@register_filter
class C4Filter(Filter):
    name = "c4"

    def __init__(
        self,
        min_sentences: Count = 5,
        min_words_per_line: Count = 3,
        max_word_length: Count = 1000,
        remove_citations: bool = True,
        require_terminal_punctuation: bool = True,
        drop_lorem_ipsum: bool = True,
        drop_curly_bracket: bool = True,
        remove_javascript_lines: bool = True,
        remove_policy_lines: bool = True,
        bad_words: bool = False,
    ):
        self.min_sentences = min_sentences
        self.min_words_per_line = min_words_per_line
        self.max_word_length = max_word_length
        self.remove_citations = remove_citations
        self.require_terminal_punctuation = require_terminal_punctuation
        self.drop_lorem_ipsum = drop_lorem_ipsum
        self.drop_curly_bracket = drop_curly_bracket
        self.remove_javascript_lines = remove_javascript_lines
        self.remove_policy_lines = remove_policy_lines
        self.bad_words = bad_words
        self._matchers: dict[str, WordListMatcher | None] = {}

    def _line_words(self, line: str, mode: str) -> int:
        if mode == "char":
            return len(split_words(line, "zh").words) // 2
        return len(line.split())

    def check(self, doc: Doc) -> Result:
        mode = split_mode(doc.lang, doc.text)
        if mode == "approximate" and self.min_words_per_line > 0:
            self.skip(doc, "approximate_word_split")
        kept, sentences = [], 0
        for raw in doc.lines:
            line = raw.strip()
            why = None
            if self.max_word_length > 0 and any(
                len(w) > self.max_word_length for w in line.split()
            ):
                why = "long_word"
            if why is None and self.remove_citations and "[" in line:
                line = CITATION.sub("", line)
            if (
                why is None
                and self.require_terminal_punctuation
                and (not line.endswith(END_PUNCTUATION) or line.endswith("..."))
            ):
                why = "no_terminal_punctuation"
            if (
                why is None
                and mode != "approximate"
                and self.min_words_per_line > 0
                and self._line_words(line, mode) < self.min_words_per_line
            ):
                why = "too_few_words"
            lower = line.lower() if why is None else ""
            if why is None and self.drop_lorem_ipsum and "lorem ipsum" in lower:
                return "lorem_ipsum"
            if why is None and self.remove_javascript_lines and "javascript" in lower:
                why = "javascript"
            if why is None and self.drop_curly_bracket and "{" in line:
                return "curly_bracket"
            if why is None and self.remove_policy_lines and any(p in lower for p in POLICY):
                why = "policy"
            if why is not None:
                if raw.strip():
                    doc.count(f"edited.c4.{why}")
                continue
            sentences += count_sentences(line)
            kept.append(line)
        if sentences < self.min_sentences:
            return Drop("too_few_sentences", sentences)
        text = "\n".join(kept).strip()
        if text != doc.text:
            doc.count("chars.edited.c4", len(doc.text) - len(text))
            doc.set_text(text)
        if self.bad_words and self._has_bad_word(doc):
            return "bad_words"
        return None

    def _has_bad_word(self, doc: Doc) -> bool:
        lang = doc.lang or "und"
        if lang not in self._matchers:
            self._matchers[lang] = SafetyFilter().matcher(lang)
        matcher = self._matchers[lang]
        if matcher is None:
            self.skip(doc, "no_bad_words_for_language")
            return False
        return matcher.count(doc.text, doc.words.tokens) > 0
