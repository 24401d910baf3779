"""Tiny documents, each made to trigger exactly one reason of one filter."""

from __future__ import annotations

from data_pipeline.filters.doc import Doc

GOOD_EN = (
    "The committee met on Tuesday to discuss the new budget for the city library. Members agreed "
    "that the reading rooms should stay open longer in the evening, and that the children's "
    "section needs more books. The director explained how the money would be spent over the "
    "next three years. A final vote will take place at the end of the month, after the public "
    "has had time to comment on the plan."
)


def doc(text: str, lang: str = "en", score: float = 0.99, source: str = "s", url: str = "") -> Doc:
    """A document whose language is already identified (no model needed)."""
    return Doc(text, source=source, url=url, lang=lang, lang_score=score)


def words(n: int, word: str = "house") -> str:
    return " ".join([word] * n)


# (filter name, params, document text, expected reason); lang "en" unless given as 5th item.
CASES = [
    ("langid", {"languages": ["de"]}, GOOD_EN, "language_not_kept"),
    ("langid", {"min_score": 0.9}, GOOD_EN, "low_language_score", "en", 0.5),
    ("gopher_quality", {}, "Too short to keep.", "too_few_words"),
    ("gopher_quality", {"max_words": 60}, GOOD_EN, "too_many_words"),
    ("gopher_quality", {}, "the of " + words(60, "ab"), "short_mean_word_length"),
    ("gopher_quality", {}, "the of " + words(60, "extraordinarily"), "long_mean_word_length"),
    (
        "gopher_quality",
        {},
        GOOD_EN + " #a #b #c #d #e #f #g #h #i #j #k #l #m #n",
        "too_many_hashes",
    ),
    ("gopher_quality", {}, GOOD_EN + " ..." * 12, "too_many_ellipses"),
    (
        "gopher_quality",
        {},
        "\n".join(f"- the shopping basket {i} of the market" for i in range(12)),
        "too_many_bullet_lines",
    ),
    (
        "gopher_quality",
        {},
        "\n".join(f"the story {i} of the day continues without ending ..." for i in range(9)),
        "too_many_ellipsis_lines",
    ),
    (
        "gopher_quality",
        {},
        GOOD_EN + " " + " ".join(str(i) for i in range(40)),
        "too_few_alpha_words",
    ),
    (
        "gopher_quality",
        {},
        GOOD_EN.replace("the ", "a ")
        .replace("The ", "A ")
        .replace(" and ", " or ")
        .replace(" that ", " so ")
        .replace(" to ", " for ")
        .replace(" of ", " in "),
        "too_few_stop_words",
    ),
    ("gopher_repetition", {}, "", "empty"),
    (
        "gopher_repetition",
        {},
        "\n\n".join(["A same paragraph here.", "A same paragraph here.", "Another."]),
        "duplicate_paragraphs",
    ),
    (
        "gopher_repetition",
        {"max_duplicate_paragraphs": None},
        "\n\n".join(["This long paragraph repeats itself once in the text."] * 2 + [GOOD_EN[:100]]),
        "duplicate_paragraph_chars",
    ),
    (
        "gopher_repetition",
        {},
        "\n".join(["same line", "same line", "other line"]),
        "duplicate_lines",
    ),
    (
        "gopher_repetition",
        {"max_duplicate_lines": None, "max_duplicate_line_chars": 0.02},
        "\n".join(["a line repeated"] * 2 + [GOOD_EN]),
        "duplicate_line_chars",
    ),
    ("gopher_repetition", {}, GOOD_EN + " " + "spam eggs " * 30, "top_2_gram"),
    (
        "gopher_repetition",
        {"top_ngrams": {}},
        GOOD_EN + " one two three four five" * 8,
        "duplicate_5_gram",
    ),
    ("c4", {}, GOOD_EN + "\nLorem ipsum dolor sit amet, consectetur.", "lorem_ipsum"),
    ("c4", {}, GOOD_EN + "\nThe value is {x} in this template.", "curly_bracket"),
    ("c4", {}, "One line only. Two sentences here.", "too_few_sentences"),
    ("c4", {"bad_words": True}, GOOD_EN + " This is shit.", "bad_words"),
    ("fineweb", {}, "   \n  ", "empty"),
    (
        "fineweb",
        {},
        "\n".join(f"line number {i} without an end" for i in range(10)),
        "few_terminal_punctuation_lines",
    ),
    (
        "fineweb",
        {},
        "\n".join(["Short one."] * 1 + [f"Tiny {i}." for i in range(8)]) + "\n" + GOOD_EN,
        "too_many_short_lines",
    ),
    (
        "fineweb",
        {},
        GOOD_EN + "\n" + "A repeated sentence of some length.\n" * 3,
        "duplicate_line_chars",
    ),
    (
        "fineweb",
        {"max_short_lines": 1.0},
        "\n".join(f"Word {i}." for i in range(20)),
        "too_many_newlines",
    ),
    ("safety", {}, GOOD_EN + " What a bastard.", "bad_words"),
    (
        "domain",
        {"rules": [{"tag": "news", "url_patterns": ["news\\."]}], "action": "keep_only"},
        GOOD_EN,
        "no_domain_match",
    ),
    (
        "domain",
        {"rules": [{"tag": "library", "keywords": ["library"]}], "action": "drop"},
        GOOD_EN,
        "blocked_domain",
    ),
]
