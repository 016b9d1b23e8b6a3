"""Compiled gettext catalogs, and a translator that knows what it could not translate.

Two domains: `messages` (templates and code) and `procedures` (the sources, one
message per paragraph). English is the source language and has no catalogs.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations

from .errors import CatalogError
from .languages import SOURCE_LANGUAGE, Language
from .resources import LOCALES_DIR

DOMAINS = ("messages", "procedures")


def catalog_path(tag: str, domain: str, suffix: str = ".mo", locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / tag / "LC_MESSAGES" / f"{domain}{suffix}"


def load_catalog(tag: str, domain: str, locales_dir: Path = LOCALES_DIR) -> gettext.NullTranslations:
    """One compiled catalog; refuses a missing or stale one rather than render old text.
    Kept in memory until its file changes, so a long-running process sees new catalogs."""
    if tag == SOURCE_LANGUAGE:
        return _ENGLISH
    mo = catalog_path(tag, domain, ".mo", locales_dir)
    po = catalog_path(tag, domain, ".po", locales_dir)
    try:
        compiled = mo.stat()
    except OSError:
        raise CatalogError(f"{mo} is missing: compile the catalogs with `make catalogs`.") from None
    if po.is_file() and po.stat().st_mtime > compiled.st_mtime:
        raise CatalogError(f"{po} changed after it was compiled: run `make catalogs`.")
    return _read_compiled(mo, domain, compiled.st_mtime_ns, compiled.st_size)


_ENGLISH = gettext.NullTranslations()


@cache
def _read_compiled(mo: Path, domain: str, mtime_ns: int, size: int) -> gettext.NullTranslations:
    try:
        with mo.open("rb") as file:
            return Translations(file, domain=domain)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise CatalogError(f"{mo} cannot be read ({error}): run `make catalogs`.") from None


def is_translated(catalog: gettext.NullTranslations, msgid: str) -> bool:
    """Whether the catalog has a real translation (untranslated and fuzzy entries are
    left out of .mo files). GNUTranslations offers no public test, so, like Django
    and Flask-Babel, we read its _catalog."""
    entries = getattr(catalog, "_catalog", None)
    if entries is None:
        return False
    return msgid in entries or (msgid, 0) in entries


@cache
def template_messages(domain: str) -> tuple[str, ...]:
    """The msgids of a domain's POT file: everything a language must translate."""
    path = LOCALES_DIR / f"{domain}.pot"
    with path.open("rb") as file:
        catalog = read_po(file)
    return tuple(m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id)


def completeness(language: Language) -> float:
    """Share of all messages, both domains, that the language's compiled catalogs translate."""
    if language.is_source:
        return 1.0
    total = translated = 0
    for domain in DOMAINS:
        catalog = load_catalog(language.tag, domain)
        ids = template_messages(domain)
        total += len(ids)
        translated += sum(is_translated(catalog, msgid) for msgid in ids)
    return translated / total if total else 1.0


@dataclass(frozen=True)
class Localized:
    """A piece of text and, when it fell back to English, the language it is in."""

    text: str
    lang: str | None = None


@dataclass
class Translator:
    """One render's view of a language: looks messages up and collects misses."""

    language: Language
    locales_dir: Path = LOCALES_DIR
    missing: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        tag = self.language.tag
        self._catalogs = {domain: load_catalog(tag, domain, self.locales_dir) for domain in DOMAINS}

    def _catalog(self, domain: str) -> gettext.NullTranslations:
        return self._catalogs[domain]

    def _note(self, domain: str, msgid: str) -> bool:
        if self.language.is_source or is_translated(self._catalog(domain), msgid):
            return True
        if msgid not in self.missing:
            self.missing.append(msgid)
        return False

    def gettext(self, message: str) -> str:
        self._note("messages", message)
        return self._catalog("messages").gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self._note("messages", singular)
        return self._catalog("messages").ngettext(singular, plural, n)

    def text(self, message: str) -> Localized:
        """A procedure message; marked English when it has no translation."""
        if self._note("procedures", message):
            return Localized(self._catalog("procedures").gettext(message))
        return Localized(message, SOURCE_LANGUAGE)
