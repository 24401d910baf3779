"""Multilingual documents through language ID and the rules (real lid.176, no Spark)."""

from __future__ import annotations

import pytest

from data_pipeline.filters.chain import ChainSpec, FilterChain
from data_pipeline.filters.doc import Doc
from data_pipeline.filters.words import split_words
from tests.data_pipeline.filters.multilingual import TEXTS

RULES = (
    ("langid", {}),
    ("gopher_quality", {"min_words": 40}),
    ("gopher_repetition", {}),
    ("c4", {"min_sentences": 3}),
    ("fineweb", {}),
    ("safety", {}),
    ("pii", {}),
)


@pytest.fixture(scope="module")
def chain():
    return FilterChain(ChainSpec(default=RULES))


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_language_is_identified_and_the_document_kept(chain, lang):
    doc = Doc(TEXTS[lang])
    (verdict,) = chain.run([doc])
    assert doc.lang == lang and doc.lang_score > 0.65
    assert verdict.kept, (lang, verdict)


def test_chinese_and_japanese_are_split_into_characters_not_whitespace():
    zh = split_words(TEXTS["zh"], "zh")
    assert zh.mode == "char" and len(zh.words) > 100 and "港" in zh.tokens
    assert split_words(TEXTS["ja"], "ja").mode == "char"
    assert len(TEXTS["zh"].split()) == 1  # whitespace splitting would see one "word"


def test_language_without_stop_words_is_skipped_and_counted_not_dropped(chain):
    korean = (
        "이 도시의 오래된 항구는 1953년 폭풍 이후에 다시 지어졌습니다. 배를 잃은 어부들은 "
        "시의 도움을 받았고 2년 뒤에는 부두가 다시 활기를 찾았습니다. 오늘날 가족들은 일요일 "
        "오후에 그곳을 산책하고 매주 금요일에 열리는 시장에서는 생선과 빵과 채소를 팝니다. "
        "주민과 관광객 모두 이곳을 좋아합니다. 항구 옆에는 작은 박물관도 있어서 "
        "아이들이 배의 역사를 배울 수 있습니다."
    )
    doc = Doc(korean)
    (verdict,) = chain.run([doc])
    assert doc.lang == "ko" and verdict.kept
    assert doc.events["skipped.gopher_quality.no_stop_words_for_language"] == 1


def test_thai_has_an_approximate_split_and_word_rules_are_skipped(chain):
    thai = (
        "ท่าเรือเก่าของเมืองนี้ถูกสร้างขึ้นใหม่หลังจากพายุในปี 1953 ชาวประมงที่สูญเสียเรือได้รับความช่วยเหลือ "
        "และสองปีต่อมาท่าเรือก็กลับมาคึกคักอีกครั้ง วันนี้ครอบครัวต่างๆ มาเดินเล่นที่นี่ในวันอาทิตย์ "
    ) * 2
    doc = Doc(thai)
    chain.run([doc])
    assert doc.lang == "th"
    assert doc.events["skipped.gopher_quality.approximate_word_split"] == 1


def test_english_only_stop_words_would_drop_german_but_language_aware_ones_do_not():
    from data_pipeline.filters import build_filter

    german = Doc(TEXTS["de"], lang="de", lang_score=0.99)
    english_only = build_filter("gopher_quality", {"min_words": 40, "stop_words": ["the", "of"]})
    assert english_only.check(german).reason == "too_few_stop_words"
    assert build_filter("gopher_quality", {"min_words": 40}).check(german) is None
