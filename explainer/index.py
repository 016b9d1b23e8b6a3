"""output/index.html: the library as one page, to browse and search offline.

One section per language, in that language; the switcher names each language in
itself. Switching works without JavaScript (CSS :target); the search box is
added by a small inline script, so the page needs no server and no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .catalogs import Translator
from .errors import MissingTranslations
from .languages import Language, get_language
from .library import Library
from .output import SUFFIXES
from .render import environment, gettext_callables, stylesheet
from .resources import LOCALES_DIR


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    links: list[tuple[str, str]]  # (label, relative href)
    region: str = ""  # siblings share a title; the part of the spine tells them apart


@dataclass(frozen=True)
class LanguageSection:
    language: Language
    entries: list[Entry]
    texts: dict[str, str]


def render_index(root: Path, library: Library, tags: list[str], locales_dir: Path = LOCALES_DIR) -> str:
    """The page, linking only to outputs that exist under root."""
    sections = []
    for tag in tags:
        language = get_language(tag)
        translator = Translator(language, locales_dir)
        gettext = gettext_callables(translator)["gettext"]
        labels = {"html": gettext("Web page"), "pdf": gettext("PDF")}
        entries = []
        for procedure in library.procedures.values():
            links = [
                (labels[fmt], f"{tag}/{procedure.code}{SUFFIXES[fmt]}")
                for fmt in ("html", "pdf")
                if (root / tag / f"{procedure.code}{SUFFIXES[fmt]}").is_file()
            ]
            title = translator.text(procedure.title.text).text
            region = translator.text(procedure.region.text).text
            entries.append(Entry(procedure.code, title, links, region))
        texts = {
            "heading": gettext("Patient handouts"),
            "search": gettext("Search"),
            "none": gettext("No handout matches your search."),
        }
        if translator.missing:
            raise MissingTranslations(tag, translator.missing)
        sections.append(LanguageSection(language, entries, texts))
    template = environment().get_template("index.html")
    return template.render(sections=sections, css=stylesheet("index.css"))
