"""Handouts as HTML: a standalone page, or a fragment to embed in a portal.

Everything user-visible comes through a Translator, so one render knows exactly
which messages it could not translate and refuses to mix languages silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date
from babel.numbers import format_percent
from markupsafe import Markup

from .catalogs import Localized, Translator
from .errors import CatalogError, MissingTranslations
from .languages import SOURCE_LANGUAGE, Language, get_language
from .library import Library
from .markup import inline_html
from .options import PLAIN, HandoutOptions, note_view, qr_svg, taglines, text_direction
from .procedures import LEVELS, Block, Procedure
from .resources import LOCALES_DIR, TEMPLATES_DIR
from .review.coverage import TranslationReview, language_reviews
from .reviews import ReviewStatus

FORMATS = ("pdf", "html", "fragment")
DRAFT_NOTICE = (
    "A qualified medical translator has not yet checked this translation. "
    "If anything is unclear, ask your care team."
)
PARTLY_CHECKED_NOTICE = (
    "A qualified medical translator has checked %(percent)s of this translation; the rest is a draft. "
    "If anything is unclear, ask your care team."
)
WORDS_PER_MINUTE = 120  # a slow, careful reader


@dataclass(frozen=True)
class Item:
    html: Markup
    lang: str | None


@dataclass(frozen=True)
class BlockView:
    kind: str
    items: list[Item]
    level: str = ""  # in "When to get help": the level this block belongs to


@dataclass(frozen=True)
class SectionView:
    slug: str
    heading: Item
    blocks: list[BlockView]

    @property
    def has_levels(self) -> bool:
        return any(block.kind == "level" for block in self.blocks)


@dataclass(frozen=True)
class WordView:
    term: Item
    definition: Item


@dataclass(frozen=True)
class RelatedView:
    system: str
    code: str
    title: Item
    region: Item


@dataclass(frozen=True)
class ReviewView:
    """A clinical review of the handout's current English text, ready to print."""

    reviewer: str
    credential: str
    date: str


@dataclass(frozen=True)
class TranslationReviewView:
    """A translation's review as the handout prints it, in its own language."""

    state: str  # "reviewed", "partly reviewed" or "draft"
    names: Markup  # the reviewers who checked it, "; " between them
    date: str  # the latest approval, a long date
    percent: str  # how much is checked, e.g. "57 %"
    summary: str  # in English, for metadata: "reviewed by ... on 2027-01-15", "partly reviewed: 57%"


@dataclass(frozen=True)
class HandoutView:
    """What the templates show, already translated."""

    lang: str
    dir: str
    system: str
    code: str
    title: Localized
    subtitle: Localized
    region: Localized
    sections: list[SectionView]
    words: list[WordView]
    related: list[RelatedView]
    changed: str
    clinical_review: ReviewView | None
    picture: str | None
    reading_minutes: int
    translation_review: TranslationReviewView | None  # None for English, which is not translated
    fallback_used: bool

    @property
    def draft(self) -> bool:
        """Not every message a qualified translator checked: the handout says so."""
        return self.translation_review is not None and self.translation_review.state != "reviewed"


def _item(text: Localized) -> Item:
    return Item(inline_html(text.text), text.lang)


def build_view(
    procedure: Procedure, library: Library, translator: Translator, *, fallback_used: bool = False
) -> HandoutView:
    language = translator.language
    sections = [
        SectionView(
            section.slug,
            _item(translator.text(section.heading.text)),
            _blocks(section.blocks, translator),
        )
        for section in procedure.sections
    ]
    related = [
        RelatedView(
            other.system,
            other.code,
            _item(translator.text(other.title.text)),
            _item(translator.text(other.region.text)),
        )
        for other in (library.procedures[code] for code in procedure.related)
    ]
    review = library.review_status(procedure).current
    glossary = [library.glossary.terms[key] for key in procedure.terms]
    words = [
        WordView(_item(translator.text(t.term.text)), _item(translator.text(t.definition.text)))
        for t in glossary
    ]
    return HandoutView(
        lang=language.tag,
        dir=language.direction,
        system=procedure.system,
        code=procedure.code,
        title=translator.text(procedure.title.text),
        subtitle=translator.text(procedure.subtitle.text),
        region=translator.text(procedure.region.text),
        sections=sections,
        words=words,
        related=related,
        changed=format_date(procedure.changed, format="long", locale=language.locale),
        clinical_review=ReviewView(
            review.reviewer,
            review.credential,
            format_date(review.date, format="long", locale=language.locale),
        )
        if review
        else None,
        picture=procedure.picture,
        reading_minutes=max(1, math.ceil(procedure.word_count / WORDS_PER_MINUTE)),
        translation_review=None
        if language.is_source
        else review_view(
            language_reviews(language, translator.locales_dir).handout(procedure, library), language
        ),
        fallback_used=fallback_used,
    )


def review_view(review: TranslationReview, language: Language) -> TranslationReviewView:
    return TranslationReviewView(
        review.state,
        # each name isolated, so a Latin name keeps its order in a right-to-left sentence
        Markup("; ").join(Markup("<bdi>{}</bdi>").format(r.signature) for r in review.reviewers),
        format_date(review.last, format="long", locale=language.locale) if review.last else "",
        # floor, so "100 %" only ever means all of it
        format_percent(math.floor(review.share * 100) / 100, locale=language.number_locale),
        review_summary(review),
    )


def review_summary(review: TranslationReview) -> str:
    if review.state == "reviewed":
        names = "; ".join(r.signature for r in review.reviewers)
        return f"reviewed by {names} on {review.last.isoformat() if review.last else ''}"
    if review.state == "partly reviewed":
        return f"partly reviewed: {review.approved} of {review.total} messages"
    return "draft: not reviewed by a qualified medical translator"


def _draft_notice(view: HandoutView, translator: Translator) -> str | None:
    """The handout's own sentence on an unchecked or partly checked translation."""
    review = view.translation_review
    if review is None or review.state == "reviewed":
        return None
    if review.state == "partly reviewed":
        return translator.gettext(PARTLY_CHECKED_NOTICE) % {"percent": review.percent}
    return translator.gettext(DRAFT_NOTICE)


LEVEL_KEYS = dict(zip(LEVELS, ("call-911", "emergency-room", "today"), strict=True))


def _blocks(blocks: tuple[Block, ...], translator: Translator) -> list[BlockView]:
    """Translated blocks, each knowing which level of urgency it falls under."""
    views, level = [], ""
    for block in blocks:
        if block.kind == "level":
            level = LEVEL_KEYS[block.items[0].text]
        views.append(BlockView(block.kind, [_item(translator.text(m.text)) for m in block.items], level))
    return views


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    # Newstyle gettext; each render passes its own language's callables in the context.
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


@cache
def stylesheet(name: str) -> Markup:
    """Our own CSS, trusted, inlined so a page or fragment needs no other file."""
    return Markup((TEMPLATES_DIR / name).read_text(encoding="utf-8"))


def gettext_callables(translator: Translator) -> dict[str, Any]:
    """Newstyle gettext that treats translations as text: Jinja's own marks a
    translation safe, which would let a catalog inject markup."""
    lang = translator.language.tag

    def substitute(message: str, translated: str, variables: dict[str, Any]) -> Markup:
        try:
            return Markup.escape(translated) % variables
        except (KeyError, ValueError, TypeError) as error:
            raise CatalogError(
                f"the '{lang}' translation of {message!r} has placeholders that do not "
                f"match the English ({type(error).__name__}: {error})"
            ) from None

    def gettext(message: str, **variables: Any) -> Markup:
        return substitute(message, translator.gettext(message), variables)

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
        variables.setdefault("num", num)
        return substitute(singular, translator.ngettext(singular, plural, num), variables)

    return {"gettext": gettext, "ngettext": ngettext}


def render_html(
    procedure: Procedure,
    language: Language,
    library: Library,
    *,
    fragment: bool = False,
    allow_fallback: bool = False,
    locales_dir: Path = LOCALES_DIR,
    inline_css: bool = True,
    options: HandoutOptions = PLAIN,
    for_pdf: bool = False,
) -> str:
    """Render a page (or fragment); raises MissingTranslations rather than mix languages.
    Without inline_css the page carries no styles: the PDF renderer brings its own,
    parsed once per process."""
    template = environment().get_template("fragment.html" if fragment else "page.html")
    clinic = options.clinic
    online = clinic.online_link(procedure.code, language.tag)
    extras = {
        "clinic": clinic if clinic.shown or (online and for_pdf) else None,
        "logo_src": clinic.logo_data_uri(),
        "clinic_phone": _phone_link(clinic.phone),
        "after_hours_phone": _phone_link(clinic.after_hours_phone),
        "for_paper": for_pdf,
        "qr": qr_svg(online) if online and for_pdf else None,
        "note": note_view(options),
        "text_dir": text_direction,
        "large_print": options.large_print,
        "taglines": taglines(options, locales_dir),
    }

    def attempt(fallback_used: bool) -> tuple[str, list[str]]:
        translator = Translator(language, locales_dir)
        view = build_view(procedure, library, translator, fallback_used=fallback_used)
        second, missing, second_words = None, [], ""
        if options.also_lang:
            other = Translator(get_language(options.also_lang), locales_dir)
            second = build_view(procedure, library, other, fallback_used=fallback_used)
            second_words = Markup.escape(other.gettext("Words to know"))
            missing = [f"{options.also_lang}: {m}" for m in other.missing]
        html = template.render(
            h=view,
            second=second,
            second_words_heading=second_words,
            source_lang=SOURCE_LANGUAGE,
            handout_css=stylesheet("reset.css") + stylesheet("handout.css") if inline_css else "",
            page_css=stylesheet("page.css") if inline_css else "",
            **extras,
            **gettext_callables(translator),
        )
        return html, translator.missing + missing

    html, missing = attempt(fallback_used=False)
    if missing:
        if not allow_fallback:
            raise MissingTranslations(language.tag, missing)
        html, missing = attempt(fallback_used=True)
    return html


def _phone_link(phone: str) -> Markup:
    return Markup('<a class="xh-phone" dir="ltr" href="tel:%s">%s</a>') % (
        "".join(c for c in phone if c.isdigit() or c == "+"),
        phone,
    )


def render_json(
    procedure: Procedure,
    language: Language,
    library: Library,
    *,
    allow_fallback: bool = False,
    locales_dir: Path = LOCALES_DIR,
) -> dict[str, Any]:
    """The handout as data for an API: its parts translated, each section as HTML."""
    translator = Translator(language, locales_dir)
    view = build_view(procedure, library, translator)
    section = environment().get_template("_macros.html").module.section_html  # type: ignore[attr-defined]
    data = {
        "code": view.code,
        "system": view.system,
        "language": {"tag": language.tag, "name": language.name, "direction": language.direction},
        "title": view.title.text,
        "subtitle": view.subtitle.text,
        "region": view.region.text,
        "changed": procedure.changed.isoformat(),
        "clinical_review": review_json(library.review_status(procedure)),
        "references": [
            {"title": r.title, "publisher": r.publisher, "url": r.url}
            for r in (library.references[key] for key in procedure.references)
        ],
        "draft_translation": view.draft,
        "draft_notice": _draft_notice(view, translator),
        "translation_review": None
        if language.is_source
        else language_reviews(language, locales_dir).handout(procedure, library).as_json(),
        "reading_minutes": view.reading_minutes,
        "sections": [
            {"id": s.slug, "heading": _plain(s.heading.html), "html": str(section(s)).strip()}
            for s in view.sections
        ],
        "words_to_know": [
            {"term": _plain(w.term.html), "definition": _plain(w.definition.html)} for w in view.words
        ],
        "related": [
            {"system": r.system, "code": r.code, "title": _plain(r.title.html)} for r in view.related
        ],
    }
    if translator.missing:
        if not allow_fallback:
            raise MissingTranslations(language.tag, translator.missing)
        data["english_fallback"] = translator.missing
    return data


def review_json(status: ReviewStatus) -> dict[str, Any]:
    """Honest review status for machines: a reviewer is named only for today's text."""
    data: dict[str, Any] = {"status": status.state}
    if status.review and status.state == "reviewed":
        review = status.review
        data.update(
            reviewer=review.reviewer,
            credential=review.credential,
            organisation=review.organisation,
            date=review.date.isoformat(),
        )
    elif status.review:
        data["stale_review_date"] = status.review.date.isoformat()
    return data


def _plain(html: Markup) -> str:
    return Markup(html).striptags()
