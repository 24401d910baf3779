"""Frequent function words per language, for the Gopher "enough stop words" rule.

English is Gopher's own set (Rae et al. 2021, as in datatrove). The others are the most frequent
function words of each language (articles, prepositions, conjunctions, the copula), written for
this project from general knowledge of those languages; Chinese and Japanese entries are single
characters because their text is split into characters (see ``words.py``). A language missing here
has no data for the rule, which is then skipped for it with a recorded reason.
"""

from __future__ import annotations

STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the be to of and that have with",
        "de": "der die das und in den von zu mit sich des auf ist nicht ein eine",
        "fr": "de la le et les des en un une du que est pour dans qui",
        "es": "de la que el en y los del se las por un una con para",
        "it": "di e il la che in per un del non una con sono",
        "pt": "de a o que e do da em um para com não uma os",
        "nl": "de en van het een in is dat op te zijn voor met",
        "sv": "och att det som en på är av för med till den",
        "da": "og i at det er en til på med af for den",
        "no": "og i det er til på som en av for med at",
        "pl": "i w się na nie z do to że jest jak po",
        "cs": "a v se na je že to s z do o jako",
        "ru": "и в не на что с по это как он к из",
        "uk": "і в не на що з до це як та у за",
        "tr": "ve bir bu da de için ile çok olarak gibi",
        "fi": "ja on ei se että oli hän mutta kun tai",
        "ro": "și de la în a cu să nu din pe o un",
        "hu": "a az és hogy nem is egy meg van de",
        "ca": "de la i el que a en les per un una del",
        "zh": "的 是 了 在 和 有 不 这 我 们",
        "ja": "の に は を た が で て と し れ",
    }.items()
}


def stop_words_for(lang: str | None) -> frozenset[str] | None:
    """The stop words of ``lang``, or None when this module has none for it."""
    return STOP_WORDS.get(lang or "")
