"""Model-based quality: a fastText classifier's probability of the "high quality" label.

``model`` is a fastText model file (any: the one ``ladder quality train`` registers, a DCLM-style
classifier, ...) or an artifact reference ``artifact:NAME[@VERSION]``, which the filter stage
resolves to its file on the driver. Every document that reaches the filter gets
``quality_score`` = P(``__label__<label>``); it is dropped (``low_quality``, score = its
probability) when below ``min_score`` (default 0.5). With ``top_fraction`` the stage estimates the
score threshold that keeps that fraction of the documents reaching this filter from a sample of
``top_fraction_sample`` documents and records it (``quality.threshold_ppm`` in the counts).

Text is prepared by ``classifier_text`` (lower-cased tokens joined by single spaces, first
``max_chars`` characters), the same function training uses.
"""

from __future__ import annotations

from typing import Any

from data_pipeline.filters.base import Drop, Filter, Result, register_filter
from data_pipeline.filters.bounds import Count, Fraction
from data_pipeline.filters.doc import Doc
from data_pipeline.filters.words import split_words
from data_pipeline.lakehouse.names import ARTIFACT_PREFIX


def classifier_text(text: str, max_chars: int = 10_000) -> str:
    """One lower-cased line of tokens, as the classifier sees it in training and in use."""
    return " ".join(split_words(text[: max_chars * 2]).tokens).lower()[:max_chars]


@register_filter
class QualityClassifierFilter(Filter):
    name = "quality_classifier"

    def __init__(
        self,
        model: str,
        label: str = "hq",
        min_score: Fraction | None = 0.5,
        top_fraction: Fraction | None = None,
        top_fraction_sample: Count = 20_000,
        max_chars: Count = 10_000,
    ):
        if top_fraction is not None and not 0 < top_fraction <= 1:
            raise ValueError("top_fraction must be in (0, 1]")
        self.model = model
        self.label = label
        self.min_score = min_score
        self.top_fraction = top_fraction
        self.top_fraction_sample = top_fraction_sample
        self.max_chars = max_chars
        self._model: Any = None  # the fastText model (untyped library), loaded by setup()
        self._label = f"__label__{label}"

    def setup(self) -> None:
        if self._model is None:
            if self.model.startswith(ARTIFACT_PREFIX):
                raise RuntimeError(f"{self.model}: artifact references are resolved by the stage")
            from data_pipeline.filters.langid import load_fasttext

            self._model = load_fasttext(self.model)

    def score(self, texts: list[str]) -> list[float]:
        """P(label) for each text."""
        self.setup()
        labels, probs = self._model.predict(
            [classifier_text(t, self.max_chars) for t in texts], k=-1
        )
        out = []
        for names, values in zip(labels, probs, strict=True):
            out.append(
                next(
                    (float(p) for n, p in zip(names, values, strict=True) if n == self._label), 0.0
                )
            )
        return [min(1.0, max(0.0, s)) for s in out]

    def check(self, doc: Doc) -> Result:
        score = self.score([doc.text])[0]
        doc.quality_score = score
        if self.min_score is not None and score < self.min_score:
            return Drop("low_quality", score)
        return None
