from __future__ import annotations

import pytest

from explainer.errors import UnsupportedLanguage
from explainer.languages import TAGS, all_languages, get_language, match_language
from explainer.review.coverage import language_reviews


@pytest.mark.parametrize(
    ("written", "tag"),
    [
        ("es-MX", "es"),
        ("es_US", "es"),
        ("ZH-cn", "zh"),
        ("zh-Hans", "zh"),
        ("zh-SG", "zh"),
        ("fil", "tl"),
        ("tl", "tl"),
        ("tgl", "tl"),
        ("spa", "es"),
        ("AR", "ar"),
        ("en-GB", "en"),
        ("ko_KR", "ko"),
        ("vi", "vi"),
    ],
)
def test_tags_are_matched_as_people_write_them(written, tag):
    assert match_language(written).tag == tag


@pytest.mark.parametrize("written", ["zh-TW", "zh-Hant", "zh_HK", "zh-Hant-CN"])
def test_traditional_chinese_is_refused_with_a_reason(written):
    with pytest.raises(UnsupportedLanguage, match="only Simplified Chinese is available"):
        match_language(written)


@pytest.mark.parametrize("written", ["ja", "xx", "", "e!", "pt-BR", "en-"])
def test_unknown_languages_list_what_is_available(written):
    with pytest.raises(UnsupportedLanguage, match="Available: en, es, zh, ru, ar, vi, fr, de, ko, tl"):
        match_language(written)


def test_names_and_directions_come_from_cldr():
    languages = {language.tag: language for language in all_languages()}
    assert list(languages) == list(TAGS)
    assert languages["ar"].direction == "rtl"
    assert all(lang.direction == "ltr" for tag, lang in languages.items() if tag != "ar")
    assert languages["ar"].name == "العربية"
    assert languages["es"].name == "Español"
    assert languages["zh"].name == "中文 (简体)"
    assert languages["ko"].name == "한국어"
    assert languages["vi"].name == "Tiếng Việt"
    assert languages["tl"].name == "Filipino"  # CLDR knows Tagalog as Filipino


def test_english_is_the_source_and_no_translation_has_been_checked_yet():
    # English is what is translated: its clinical review is recorded per handout
    # (procedures/reviews.toml). No qualified translator has approved anything yet.
    assert get_language("en").is_source
    for language in all_languages():
        if not language.is_source:
            whole = language_reviews(language).whole()
            assert (whole.state, whole.approved) == ("draft", 0), language.tag


def test_numbers_follow_cldr_for_readers_in_us_clinics():
    decimal = {t: get_language(t).number_locale.number_symbols["latn"]["decimal"] for t in TAGS}
    assert {t for t, d in decimal.items() if d == ","} == {"ru", "vi", "fr", "de"}
