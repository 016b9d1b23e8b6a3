"""output/index.html: the library as one page, to browse and search offline.

One section per language, in that language; the switcher names each language in
itself. Switching works without JavaScript (CSS :target); the search box is
added by a small inline script, so the page needs no server and no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogs import Translator
from .errors import MissingTranslations
from .languages import Language, get_language
from .library import Library
from .output import SUFFIXES
from .procedures import GROUPS, split_keywords
from .render import environment, gettext_callables, review_view, stylesheet
from .resources import LOCALES_DIR
from .review.coverage import LanguageReviews, language_reviews


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    links: list[tuple[str, str]]  # (label, relative href)
    region: str = ""  # siblings share a title; the part of the spine tells them apart
    search: str = ""  # keywords, codes and English words the offline search also matches
    review: str = ""  # how much of its translation a qualified translator checked


@dataclass(frozen=True)
class Group:
    name: str
    entries: list[Entry]


@dataclass(frozen=True)
class LanguageSection:
    language: Language
    groups: list[Group]
    texts: dict[str, str]
    review: str = ""  # the same, for the whole language


def render_index(root: Path, library: Library, tags: list[str], locales_dir: Path = LOCALES_DIR) -> str:
    """The page, linking only to outputs that exist under root."""
    sections = []
    for tag in tags:
        language = get_language(tag)
        translator = Translator(language, locales_dir)
        gettext = gettext_callables(translator)["gettext"]
        labels = {"html": gettext("Web page"), "pdf": gettext("PDF")}
        grouped: dict[str, list[Entry]] = {key: [] for key in GROUPS}
        reviews = None if language.is_source else language_reviews(language, locales_dir)
        labels_by_state = {
            "reviewed": gettext("Checked translation."),
            "partly reviewed": gettext("Partly checked translation."),
            "draft": gettext("Draft translation."),
        }
        for procedure in library.procedures.values():
            links = [
                (labels[fmt], f"{tag}/{procedure.code}{SUFFIXES[fmt]}")
                for fmt in ("html", "pdf")
                if (root / tag / f"{procedure.code}{SUFFIXES[fmt]}").is_file()
            ]
            title = translator.text(procedure.title.text).text
            region = translator.text(procedure.region.text).text
            words = [translator.text(procedure.keywords.text).text] if procedure.keywords else []
            words += [procedure.title.text, *(f"{s} {c}" for s, c in procedure.other_codes)]
            if procedure.keywords:
                words.append(procedure.keywords.text)
            search = " ".join(dict.fromkeys(word for text in words for word in split_keywords(text)))
            review = labels_by_state[reviews.handout(procedure, library).state] if reviews else ""
            grouped[procedure.group].append(Entry(procedure.code, title, links, region, search, review))
        texts = {
            "heading": gettext("Patient handouts"),
            "search": gettext("Search"),
            "none": gettext("No handout matches your search."),
        }
        groups = [
            Group(gettext("%(group)s (%(count)s)", group=gettext(GROUPS[key]), count=len(entries)), entries)
            for key, entries in grouped.items()
            if entries
        ]
        if translator.missing:
            raise MissingTranslations(tag, translator.missing)
        sections.append(LanguageSection(language, groups, texts, _language_review(reviews, gettext)))
    template = environment().get_template("index.html")
    return template.render(sections=sections, css=stylesheet("index.css"))


def _language_review(reviews: LanguageReviews | None, gettext: Any) -> str:
    """One sentence on the whole language's translation, from the handouts' own notices."""
    if reviews is None:
        return ""
    view = review_view(reviews.whole(), reviews.language)
    if view.state == "reviewed":
        return gettext(
            "A qualified medical translator checked this translation: %(names)s, on %(date)s.",
            names=view.names,
            date=view.date,
        )
    if view.state == "partly reviewed":
        return gettext(
            "A qualified medical translator has checked %(percent)s of this translation; the rest is a "
            "draft. If anything is unclear, ask your care team.",
            percent=view.percent,
        )
    return gettext(
        "A qualified medical translator has not yet checked this translation. If anything is unclear, "
        "ask your care team."
    )
