"""Domain rules: tag, keep only, or drop documents by URL patterns, keywords or a classifier.

Each rule has a ``tag``, regular expressions matched against the document URL
(``url_patterns``) and keywords matched case-insensitively as whole words in the text
(``keywords``, at least ``min_keyword_hits`` occurrences). A rule matches when any URL pattern or
the keyword rule matches. An optional fastText ``classifier`` (any model file; labels
``__label__<tag>``) adds its top label as a tag when its probability is at least
``classifier_min_score``.

``action``: ``tag`` (default) keeps every document and tags matches ``domain:<tag>``
(counted as ``tagged.domain.<tag>``); ``keep_only`` drops documents that match no rule
(``no_domain_match``); ``drop`` drops documents that match one (``blocked_domain``, the first
matching rule's tag counted as ``tagged.domain.<tag>``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from data_pipeline.filters.base import Filter, Result, register_filter
from data_pipeline.filters.bounds import Fraction
from data_pipeline.filters.doc import Doc
from data_pipeline.lakehouse.config import StrictModel


class DomainRule(StrictModel):
    """One domain: URL regexes and/or keywords."""

    tag: str = Field(pattern=r"^[a-z0-9_]+$")
    url_patterns: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    min_keyword_hits: int = Field(default=1, ge=1)


@register_filter
class DomainFilter(Filter):
    name = "domain"

    def __init__(
        self,
        rules: list[DomainRule] | None = None,
        action: Literal["tag", "keep_only", "drop"] = "tag",
        classifier: str | None = None,
        classifier_min_score: Fraction = 0.5,
    ):
        self.rules = [r if isinstance(r, DomainRule) else DomainRule(**r) for r in rules or []]
        self.action = action
        self.classifier = classifier
        self.classifier_min_score = classifier_min_score
        self._urls = [
            re.compile("|".join(r.url_patterns)) if r.url_patterns else None for r in self.rules
        ]
        self._keywords = [
            re.compile(r"\b(?:" + "|".join(map(re.escape, r.keywords)) + r")\b", re.IGNORECASE)
            if r.keywords
            else None
            for r in self.rules
        ]
        self._model: Any = None  # the fastText model (untyped library), loaded by setup()

    def setup(self) -> None:
        if self.classifier and self._model is None:
            from data_pipeline.filters.langid import load_fasttext

            self._model = load_fasttext(self.classifier)

    def matches(self, doc: Doc) -> list[str]:
        """Tags of every matching rule (and of the classifier), in rule order."""
        tags = []
        for rule, url, words in zip(self.rules, self._urls, self._keywords, strict=True):
            if (url is not None and doc.url and url.search(doc.url)) or (
                words is not None and len(words.findall(doc.text)) >= rule.min_keyword_hits
            ):
                tags.append(rule.tag)
        if self.classifier:
            self.setup()
            labels, probs = self._model.predict(" ".join(doc.text.split())[:4000], k=1)
            if labels and float(probs[0]) >= self.classifier_min_score:
                label = labels[0].removeprefix("__label__")
                if label not in tags:
                    tags.append(label)
        return tags

    def check(self, doc: Doc) -> Result:
        tags = self.matches(doc)
        if self.action == "keep_only" and not tags:
            return "no_domain_match"
        if self.action == "drop" and tags:
            doc.count(f"tagged.domain.{tags[0]}")
            return "blocked_domain"
        for tag in tags:
            doc.tag(f"domain:{tag}")
            doc.count(f"tagged.domain.{tag}")
        return None
