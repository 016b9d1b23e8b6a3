"""The ten handout languages, and matching the many ways people write their tags.

Names, text direction and plural rules come from Babel's CLDR data; the only facts
kept here are which tags we ship and which translations a medical translator checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale, localedata
from babel.core import get_global, parse_locale

from .errors import UnsupportedLanguage, shorten

SOURCE_LANGUAGE = "en"
TAGS: tuple[str, ...] = ("en", "es", "zh", "ru", "ar", "vi", "fr", "de", "ko", "tl")

# Babel knows Tagalog only as CLDR's Filipino; we keep the tag people ask for.
_OUR_TAG = {"fil": "tl"}


@dataclass(frozen=True)
class Language:
    tag: str
    locale: Locale

    @property
    def name(self) -> str:
        """The language's name in itself, as a reader would look for it."""
        own = self.locale.get_display_name() or self.tag
        return own[:1].upper() + own[1:]

    @property
    def english_name(self) -> str:
        return self.locale.get_display_name("en") or self.tag

    @property
    def direction(self) -> str:
        return "rtl" if self.locale.text_direction == "rtl" else "ltr"

    @property
    def is_source(self) -> bool:
        return self.tag == SOURCE_LANGUAGE

    @property
    def number_locale(self) -> Locale:
        """How numbers are written for this language's readers in US clinics: CLDR's
        United States variant where it has one (es_US writes 100.4), else the language's own."""
        us = f"{self.locale.language}_US"
        return Locale.parse(us) if localedata.exists(us) else self.locale


@cache
def get_language(tag: str) -> Language:
    """The Language for one of TAGS (already matched)."""
    if tag not in TAGS:
        raise UnsupportedLanguage(_unsupported_message(tag))
    # Chinese is the Simplified script only; naming it makes that visible.
    locale = Locale("zh", script="Hans") if tag == "zh" else Locale(Locale.parse(tag).language)
    return Language(tag, locale)


def all_languages() -> list[Language]:
    return [get_language(tag) for tag in TAGS]


def match_language(requested: str) -> Language:
    """Accept tags as people write them: es-MX, es_US, ZH-cn, zh-Hans, fil, spa."""
    try:
        language, territory, script, *_ = parse_locale(requested.strip().replace("_", "-"), sep="-")
    except ValueError:
        raise UnsupportedLanguage(_unsupported_message(requested)) from None
    aliases = get_global("language_aliases")
    language = aliases.get(language, language).split("_")[0]
    tag = _OUR_TAG.get(language, language)
    if tag == "zh" and _script(language, territory, script) != "Hans":
        raise UnsupportedLanguage(
            f"'{shorten(requested, 40)}' asks for Traditional Chinese; only Simplified Chinese "
            "is available (zh, zh-CN, zh-Hans)."
        )
    if tag not in TAGS:
        raise UnsupportedLanguage(_unsupported_message(requested))
    return get_language(tag)


def _script(language: str, territory: str | None, script: str | None) -> str:
    """The script a tag asks for, written or implied (zh-TW implies Hant)."""
    if script:
        return script
    likely = get_global("likely_subtags")
    maximized = likely.get(f"{language}_{territory}") or likely.get(language, "")
    parts = maximized.split("_")
    return parts[1] if len(parts) > 2 else ""


def _unsupported_message(requested: str) -> str:
    return f"Unsupported language '{shorten(requested, 40)}'. Available: {', '.join(TAGS)}."
