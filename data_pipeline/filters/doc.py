"""The document a filter sees: text, provenance, language, and lazily computed splits.

Splits (words, lines) are computed once per document and shared by every filter of a chain; a
filter that edits the text (C4 line clean-up, PII redaction) calls ``set_text`` and the splits are
recomputed on next use. Filters record side facts in ``events`` (summed by the stage into the run's
counts: ``skipped.<filter>.<reason>``, ``edited.<filter>.<what>``, ``redacted.<filter>.<type>``,
``tagged.<filter>.<tag>``) and per-document labels in ``tags``.
"""

from __future__ import annotations

from collections import Counter

from data_pipeline.filters.words import Words, split_words


class Doc:
    """One document flowing through a filter chain."""

    __slots__ = (
        "_lines",
        "_words",
        "doc_id",
        "events",
        "lang",
        "lang_score",
        "metadata",
        "quality_score",
        "source",
        "tags",
        "text",
        "url",
    )

    def __init__(
        self,
        text: str,
        source: str = "",
        doc_id: str = "",
        url: str = "",
        metadata: dict[str, str] | None = None,
        lang: str | None = None,
        lang_score: float | None = None,
    ):
        self.text = text or ""
        self.source = source
        self.doc_id = doc_id
        self.url = url or ""
        self.metadata = metadata or {}
        self.lang = lang
        self.lang_score = lang_score
        self.quality_score: float | None = None
        self.tags: list[str] = []
        self.events: Counter[str] = Counter()
        self._words: Words | None = None
        self._lines: list[str] | None = None

    @property
    def words(self) -> Words:
        """Word and symbol tokens, split according to ``lang`` (see ``words.py``)."""
        if self._words is None:
            self._words = split_words(self.text, self.lang)
        return self._words

    @property
    def lines(self) -> list[str]:
        """``text.splitlines()``, cached."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def set_text(self, text: str) -> None:
        """Replace the text (an edit); cached splits are dropped."""
        self.text = text
        self._words = None
        self._lines = None

    def count(self, key: str, n: int = 1) -> None:
        """Add ``n`` to the run count ``key``."""
        if n:
            self.events[key] += n

    def tag(self, tag: str) -> None:
        if tag not in self.tags:
            self.tags.append(tag)
