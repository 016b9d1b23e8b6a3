"""What a clinic adds to a handout: its name and logo, a note from the care team,
a second language, large print, language-help taglines and a QR link.

A care-team note is patient-specific and untrusted: it is kept as typed (never
translated, never markup), limited in length, and the build, the caches and the
logs never see it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from markupsafe import Markup, escape

from .catalogs import Translator
from .clinic import NO_CLINIC, Clinic
from .errors import ExplainerError
from .languages import TAGS, Language, get_language, match_language
from .typed import unprintable

NOTE_LIMIT = 1000  # characters


def N_(message: str) -> str:
    return message


TAGLINE = N_("Free help in your language is available. Call %(phone)s.")


class OptionError(ExplainerError):
    """A note, second language or other handout option that cannot be used."""


@dataclass(frozen=True)
class HandoutOptions:
    clinic: Clinic = NO_CLINIC
    note: str = ""
    note_lang: str = "en"
    also_lang: str = ""
    large_print: bool = False

    @property
    def personal(self) -> bool:
        """Whether the handout carries patient-specific text: never cache or store it."""
        return bool(self.note)


PLAIN = HandoutOptions()


def make_options(
    language: Language,
    *,
    clinic: Clinic = NO_CLINIC,
    note: str = "",
    note_lang: str = "en",
    also_lang: str = "",
    large_print: bool = False,
) -> HandoutOptions:
    """Checked options: a clear error for a note too long or in an unknown language,
    or a second language that is not one of ours or is the handout's own."""
    note = clean_note(note)
    note_tag = match_language(note_lang).tag if note else "en"
    second = ""
    if also_lang:
        second = match_language(also_lang).tag
        if second == language.tag:
            raise OptionError(f"--also-lang {also_lang} is the handout's own language; choose another")
    return HandoutOptions(clinic, note, note_tag, second, large_print)


def clean_note(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > NOTE_LIMIT:
        raise OptionError(f"the care-team note has {len(text)} characters; at most {NOTE_LIMIT} are allowed")
    problem = unprintable(text, allow="\n\t")
    if problem:
        raise OptionError(f"the care-team note cannot be printed as typed: {problem}")
    return text


@dataclass(frozen=True)
class NoteView:
    text: str
    lang: str
    dir: str


@dataclass(frozen=True)
class Tagline:
    lang: str
    dir: str
    html: Markup


def note_view(options: HandoutOptions) -> NoteView | None:
    if not options.note:
        return None
    language = get_language(options.note_lang)
    return NoteView(options.note, language.tag, language.direction)


def taglines(options: HandoutOptions, locales_dir) -> list[Tagline]:
    """One sentence per language, in that language and direction, with the clinic's number."""
    clinic = options.clinic
    if not clinic.language_help:
        return []
    phone = Markup('<span class="xh-phone" dir="ltr">%s</span>') % clinic.phone
    lines = []
    for tag in TAGS:
        language = get_language(tag)
        translator = Translator(language, locales_dir)
        sentence = translator.gettext(TAGLINE)
        if translator.missing:  # shown in English elsewhere; never half-translated here
            continue
        lines.append(Tagline(tag, language.direction, escape(sentence) % {"phone": phone}))
    return lines


def text_direction(text: str) -> str:
    """The direction of text typed in no stated language (a clinic's name or address):
    its first strong character's, as the Unicode bidi algorithm's first rule reads it."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


@cache
def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (segno), for the PDF to carry the online address."""
    import segno

    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=3, border=2, dark="#000", light="#fff", omitsize=False))
