"""Every registered filter: constructible from YAML, safe on empty input, deterministic."""

from __future__ import annotations

import pytest
import yaml

from data_pipeline.filters import FILTERS, build_filter
from data_pipeline.filters.base import as_drop
from data_pipeline.filters.doc import Doc
from data_pipeline.filters.langid import lid176_path
from data_pipeline.stages.filter_config import FilterConfig
from tests.data_pipeline.filters.fixtures import GOOD_EN
from tests.data_pipeline.filters.multilingual import TEXTS

#: Parameters a filter needs to be constructed (models exist offline: lid.176 stands in for any
#: fastText classifier file).
REQUIRED = {"quality_classifier": {"model": str(lid176_path()), "label": "en"}}


def _yaml_entry(name: str) -> str:
    params = REQUIRED.get(name)
    return yaml.safe_dump({"filters": [{name: params} if params else name]})


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_constructs_from_yaml(name):
    config = FilterConfig.model_validate(yaml.safe_load(_yaml_entry(name)))
    (item,) = config.filters
    assert item.name == name and "enabled" in item.params
    assert build_filter(item.name, item.params) is not None
    assert build_filter(name, {**REQUIRED.get(name, {}), "enabled": False}) is None


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_empty_input_gives_a_reason_or_keep_and_never_raises(name):
    flt = build_filter(name, REQUIRED.get(name))
    for text in ("", " ", "\n\n"):
        result = as_drop(flt.check(Doc(text, lang="und", lang_score=0.0)))
        assert result is None or result.reason.replace("_", "").isalnum()


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_deterministic(name):
    texts = [GOOD_EN, TEXTS["de"], TEXTS["zh"], "short", GOOD_EN + "\n" + GOOD_EN]
    results = []
    for _ in range(2):
        flt = build_filter(name, REQUIRED.get(name))
        docs = [
            Doc(t, lang=lang, lang_score=0.9)
            for t, lang in zip(texts, ["en", "de", "zh", "en", "en"], strict=True)
        ]
        results.append([(as_drop(flt.check(d)), d.text, sorted(d.events.items())) for d in docs])
    assert results[0] == results[1]


def test_unknown_filter_and_key_are_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown filter 'gopher'.*did you mean"):
        FilterConfig.model_validate({"filters": ["gopher"]})
    with pytest.raises(ValueError, match=r"filters\[0\]: filter 'c4': unknown key 'min_sentence'"):
        FilterConfig.model_validate({"filters": [{"c4": {"min_sentence": 2}}]})
    with pytest.raises(ValueError, match=r"filter 'langid': min_score"):
        FilterConfig.model_validate({"filters": [{"langid": {"min_score": "high"}}]})


def _numeric(annotation) -> bool:
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return annotation in (int, float) or (len(args) == 1 and args[0] in (int, float))


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_numeric_parameter_has_a_bound(name):
    from data_pipeline.filters.base import params_model

    unbounded = [
        key
        for key, field in params_model(FILTERS[name]).model_fields.items()
        if _numeric(field.annotation)
        and not any(hasattr(m, "ge") or hasattr(m, "gt") for m in field.metadata)
    ]
    assert not unbounded, f"{name}: give {unbounded} a bound (filters/bounds.py)"


@pytest.mark.parametrize(
    ("name", "params", "key"),
    [
        ("langid", {"min_score": -0.65}, "min_score"),
        ("langid", {"min_score": 7.5}, "min_score"),
        ("langid", {"min_score_per_language": {"en": 1.5}}, "min_score_per_language.en"),
        ("c4", {"min_sentences": -3}, "min_sentences"),
        ("gopher_quality", {"min_words": -5}, "min_words"),
        ("gopher_repetition", {"top_ngrams": {2: 1.2}}, "top_ngrams.2"),
        ("safety", {"min_ratio": -2.0}, "min_ratio"),
        ("fineweb", {"max_short_lines": 1.01}, "max_short_lines"),
    ],
)
def test_out_of_range_thresholds_are_refused_when_the_config_is_read(name, params, key):
    with pytest.raises(ValueError, match=rf"filter '{name}': {key}: Input should be"):
        FilterConfig.model_validate({"filters": [{name: params}]})


def test_thresholds_at_their_bounds_are_accepted():
    config = FilterConfig.model_validate(
        {"filters": [{"langid": {"min_score": 0.0}}, {"c4": {"min_sentences": 0}}]}
    )
    assert [i.params.get("min_score", i.params.get("min_sentences")) for i in config.filters] == [
        0.0,
        0,
    ]
