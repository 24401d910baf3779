"""Language-aware splitting of text into words and sentences, shared by every rule.

Languages written with spaces (Latin, Cyrillic, Greek, Arabic, Devanagari, Hangul, ...) are split
with one regular expression that approximates spaCy's rule-based tokenizer, which datatrove uses:
punctuation and symbols become tokens of their own, URLs, numbers (``1,000``, ``3.5``) and
abbreviations (``U.S.``) stay whole, clitics (``'s``, ``'re``) are split off, elided articles
(``l'``, ``d'``) keep their apostrophe, hyphens split words.
Chinese and Japanese are split into one token per ideograph or kana (no dictionary segmenter is
installed; character tokens are the usual fallback). Thai, Lao, Khmer, Myanmar and Tibetan have no
spaces between words and no segmenter here, so their split is marked ``approximate``: rules that
count words or measure their length skip such documents with a recorded reason.
"""

from __future__ import annotations

import re

import regex

#: Chinese and Japanese: one token per ideograph / kana.
CHAR_LANGS = frozenset({"zh", "ja", "yue", "wuu", "lzh", "gan", "hak", "nan"})
#: Written without spaces between words; no segmenter available, so splits are approximate.
UNSEGMENTED_LANGS = frozenset({"th", "lo", "km", "my", "bo", "dz"})

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_SEA = "\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f\u0f00-\u0fff"

_WORD_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'’]"  # URL, without trailing punctuation
    r"|\d+(?:[.,:/]\d+)+"  # numbers, dates and times: 1,000  3.5  12:30  1/2
    r"|(?:[^\W\d_]\.){2,}"  # abbreviations: U.S.  e.g.
    rf"|['’](?:s|S|re|ve|ll|d|m|t)(?![^\W_{_CJK}])"  # clitics split off the word before them
    r"|(?<![^\W\d_])(?:[^\W\d_]{1,2}|qu|Qu)['’](?=[^\W\d_])"  # elisions: l' d' qu' (fr, it)
    r"|\.\.\.+"  # an ellipsis is one token
    rf"|[^\W_{_CJK}]+"  # a run of letters, digits and marks
    rf"|[{_CJK}]"  # one ideograph or kana
    r"|-{2,}|\*{2,}|={2,}|_{2,}|~{2,}|[!?]{2,}"  # repeated punctuation is one token: --  !!
    r"|\S"  # any other character: punctuation, symbols, emoji
)
_CJK_RE = re.compile(f"[{_CJK}]")
_LETTER = re.compile(r"[^\W\d_]").search
_SEA_RE = re.compile(f"[{_SEA}]")

#: Sentence-final punctuation of every script: Unicode's ``Sentence_Terminal`` property (the set
#: datatrove and FineWeb use), built once at import (~70 ms).
_STERM = regex.compile(r"\p{Sentence_Terminal}")
TERMINAL_PUNCTUATION = frozenset(chr(c) for c in range(0x20000) if _STERM.match(chr(c)))
#: Characters that make a token a symbol rather than a word.
PUNCTUATION = (
    frozenset(
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¦§«¬°±·»¿×÷‐‑‒–—―‖‘’‚“”„†‡•…‰′″‹›€™"
        "、。〈〉《》「」『』【】〔〕〖〗〘〙〜・！＂＃＄％＆＇（）＊＋，－．／：；＜＝＞？＠［＼］＾＿｀｛｜｝～｡｢｣､"
        "►◄■□▪▫●○◆◇★☆✓✔✗✘→←↑↓⇒⇐│┃━─"
    )
    | TERMINAL_PUNCTUATION
    | frozenset(chr(c) for c in range(32))
)
#: Abbreviations whose full stop does not end a sentence (English, German, French, Spanish).
_ABBREVIATIONS = (
    "mr mrs ms dr prof st jr sr vs etc no nos fig figs vol inc ltd co corp dept gen gov sen rep "
    "col lt sgt capt mt ft approx ca cf al jan feb mar apr jun jul aug sep sept oct nov dec "
    "bzw usw vgl nr hr fr mme mlle sra dña"
)
ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())
_SENT_END_RE = re.compile(
    r"(?:\.\.\.|[.!?…؟۔।॥።]+)[\"'”’»)\]]*(?=\s|$)"  # followed by a space or the end
    r"|[。！？｡]+[」』”’）)]*"  # CJK full stops need no space after them
)


class Words:
    """The tokens of a text and how they were split.

    ``mode`` is ``space`` (regex split), ``char`` (one token per CJK character) or ``approximate``
    (a script written without spaces and without a segmenter here). ``words`` are the tokens
    that are not pure punctuation/symbols (computed once, on first use).
    """

    __slots__ = ("_words", "mode", "tokens")

    def __init__(self, tokens: list[str], mode: str):
        self.tokens = tokens
        self.mode = mode
        self._words: list[str] | None = None

    def __repr__(self) -> str:
        return f"Words(tokens={self.tokens!r}, mode={self.mode!r})"

    @property
    def approximate(self) -> bool:
        return self.mode == "approximate"

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = [t for t in self.tokens if not (t[0] in PUNCTUATION and is_symbol(t))]
        return self._words


def split_mode(lang: str | None, text: str = "") -> str:
    """How ``text`` in ``lang`` is split; an unknown language is guessed from its script."""
    if lang in CHAR_LANGS:
        return "char"
    if lang in UNSEGMENTED_LANGS:
        return "approximate"
    if lang is None or lang == "und":
        sample = text[:2000]
        if _CJK_RE.search(sample) and len(_CJK_RE.findall(sample)) * 4 > len(sample):
            return "char"
        if _SEA_RE.search(sample) and len(_SEA_RE.findall(sample)) * 4 > len(sample):
            return "approximate"
    return "space"


def split_words(text: str, lang: str | None = None) -> Words:
    """Split ``text`` into word and symbol tokens for language ``lang`` (ISO 639-1)."""
    return Words(_WORD_RE.findall(text), split_mode(lang, text))


def has_letter(token: str) -> bool:
    """True when ``token`` has at least one letter (any script)."""
    return _LETTER(token) is not None


def is_symbol(token: str) -> bool:
    """True when every character of ``token`` is punctuation or a symbol."""
    return all(ch in PUNCTUATION for ch in token)


def count_sentences(line: str) -> int:
    """Sentences in one line: runs of terminal punctuation followed by a space or the end.

    A full stop after an initial (``J. R. R. Tolkien``) or a common abbreviation (``Mr.``,
    ``St.``, ``No.``) does not end a sentence, as in spaCy's tokenizer exceptions.
    """
    ends, last = 0, 0
    for match in _SENT_END_RE.finditer(line):
        if match.group().startswith(".") and not match.group().startswith("..."):
            before = line[last : match.start()].rsplit(None, 1)
            word = before[-1] if before else ""
            if (len(word) == 1 and word.isalpha()) or word.lower() in ABBREVIATIONS:
                continue
        ends += 1
        last = match.end()
    return ends + (1 if line[last:].strip() else 0)
