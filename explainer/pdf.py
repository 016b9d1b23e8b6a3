"""Print-ready PDFs through WeasyPrint.

WeasyPrint is imported here only, and only when a PDF is wanted: importing it
costs most of a second. A PDF fetches nothing but our packaged assets, and is
refused rather than written when a font cannot draw one of its characters.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.request import urlopen

from babel.dates import format_date

from . import pdf_tags
from .catalogs import Translator
from .errors import CatalogError, FetchRefused, MissingGlyphs, MissingTranslations
from .fonts import FONT_SCHEME, compact_stylesheet, font_file
from .languages import SOURCE_LANGUAGE, Language, get_language
from .library import Library
from .options import PLAIN, HandoutOptions
from .procedures import Procedure
from .quality.paper import NEARLY_EMPTY
from .render import render_html
from .resources import LOCALES_DIR, TEMPLATES_DIR
from .reviews import ClinicalReview

if TYPE_CHECKING:
    import weasyprint

LOGGER = logging.getLogger("explainer")
LOGGER.addHandler(logging.NullHandler())
PAPER_SIZES = ("letter", "a4")
PDF_VARIANT = "pdf/ua-1"  # identification, XMP metadata and the tags PDF/UA-1 requires
ASSET_SCHEME = "explainer-asset"
_MISSING_GLYPH = ".notdef glyph rendered"
_PLACEHOLDER = re.compile(r"%\((page|pages)\)s")


def asset_fetcher() -> weasyprint.URLFetcher:
    """A URL fetcher that serves files from our templates folder and refuses the rest:
    no network, no file:// reads, whatever a template or a translation asks for."""
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    class PackagedAssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            prefix = f"{ASSET_SCHEME}:/"
            if url.startswith(f"{FONT_SCHEME}:/"):
                font = font_file(url[len(FONT_SCHEME) + 2 :])
                if font is None:
                    raise FetchRefused(f"refused to fetch {url!r}: no such compact font")
                return URLFetcherResponse(url, font.read_bytes())
            if url.startswith("data:"):  # inline, from our own templates (a clinic logo): nothing is fetched
                with urlopen(url) as inline:
                    return URLFetcherResponse(
                        url, inline.read(), {"Content-Type": inline.headers.get_content_type()}
                    )
            if not url.startswith(prefix):
                raise FetchRefused(f"refused to fetch {url!r}: a handout may only use explainer's own assets")
            root = TEMPLATES_DIR.resolve()
            path = (root / url[len(prefix) :].lstrip("/")).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise FetchRefused(f"refused to fetch {url!r}: no such packaged asset")
            return URLFetcherResponse(url, path.read_bytes())

    return PackagedAssetFetcher(fail_on_errors=True)


@cache
def harfbuzz_subsetting() -> bool:
    """Whether WeasyPrint found libharfbuzz-subset: without it, fontTools subsets CJK
    fonts in seconds instead of a fraction of one."""
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:
        LOGGER.warning("libharfbuzz-subset is missing: PDFs will be slow (install libharfbuzz-subset0)")
    return harfbuzz_subset is not None


@cache
def _shared() -> tuple[Any, list[Any], Any]:
    """What every PDF of this process can share: WeasyPrint's font configuration
    (it loads fontconfig's whole font list) and our own stylesheets, parsed once;
    the last is the tighter layout tried when a last page comes out nearly empty."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    # WeasyPrint removes its font folder when the configuration is dropped: at exit, and also
    # at the end of a pool worker, which skips atexit (os._exit) but runs these finalizers.
    multiprocessing.util.Finalize(None, _shared.cache_clear, exitpriority=100)
    fetcher = asset_fetcher()
    texts = [(TEMPLATES_DIR / name).read_text(encoding="utf-8") for name in ("handout.css", "page.css")]
    texts.append(compact_stylesheet())
    texts.append((TEMPLATES_DIR / "fit.css").read_text(encoding="utf-8"))
    *sheets, fit = [
        weasyprint.CSS(string=text, font_config=fonts, url_fetcher=fetcher, base_url=f"{ASSET_SCHEME}:/")
        for text in texts
    ]
    return fonts, sheets, fit


def warm_up() -> None:
    """Load what every PDF shares, before worker processes fork from this one."""
    harfbuzz_subsetting()
    _shared()


def css_string(text: str) -> str:
    """A CSS string literal; escapes quotes, backslashes and line breaks from translations."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ").replace("<", "\\3c ")
    return f'"{escaped}"'


def page_counter_content(translated: str, lang: str) -> str:
    """Turn 'Page %(page)s of %(pages)s', as translated, into CSS `content` with counters."""
    if sorted(_PLACEHOLDER.findall(translated)) != ["page", "pages"]:
        raise CatalogError(
            f"the '{lang}' translation of 'Page %(page)s of %(pages)s' must keep both "
            f"placeholders once each: {translated!r}"
        )
    parts: list[str] = []
    for index, piece in enumerate(_PLACEHOLDER.split(translated)):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


def footer_stylesheet(
    procedure: Procedure, translator: Translator, paper: str, review: ClinicalReview | None
) -> str:
    """The @page rules: paper size, and a footer with the code, the clinical review
    status (a date only when a review of today's text is recorded) and page X of Y."""
    language = translator.language
    code = translator.gettext("Procedure code: %(system)s %(code)s") % {
        "system": procedure.system,
        "code": procedure.code,
    }
    if review:
        status = translator.gettext("Checked by a clinician on %(date)s") % {
            "date": format_date(review.date, format="long", locale=language.locale)
        }
    else:
        status = translator.gettext("Not yet reviewed by a clinician.")
    pages = page_counter_content(translator.gettext("Page %(page)s of %(pages)s"), language.tag)
    start = "right" if language.direction == "rtl" else "left"
    box = f"font-size: 10pt; color: #333; direction: {language.direction};"
    # One margin box, not two: WeasyPrint lays out every margin box on every page.
    return (
        f"@page {{ size: {paper};\n"
        f"  @bottom-{start} {{ content: {css_string(code + ' · ' + status + ' · ')} {pages}; {box} }}\n}}\n"
    )


@contextmanager
def _glyph_watch() -> Iterator[list[str]]:
    """Collect WeasyPrint's warnings about characters no font could draw, in this thread."""
    found: list[str] = []
    thread = threading.get_ident()

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == thread and record.getMessage().startswith(_MISSING_GLYPH):
                args = record.args if isinstance(record.args, tuple) else ()
                found.append(str(args[0]) if args else "\ufffd")  # logged with (character, codepoint)

    handler = Catch(logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield found
    finally:
        logger.removeHandler(handler)


def render_pdf(
    procedure: Procedure,
    language: Language,
    library: Library,
    *,
    paper: str = "letter",
    allow_fallback: bool = False,
    locales_dir: Path = LOCALES_DIR,
    options: HandoutOptions = PLAIN,
) -> bytes:
    """A tagged PDF/UA-1 with embedded, subset fonts; the same inputs give the same bytes."""
    return render_pdf_and_paper(
        procedure,
        language,
        library,
        paper=paper,
        allow_fallback=allow_fallback,
        locales_dir=locales_dir,
        options=options,
    ).data


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    last_page_fill: float  # how much of the last page's text area is used, 0 to 1


def render_pdf_and_paper(
    procedure: Procedure,
    language: Language,
    library: Library,
    *,
    paper: str = "letter",
    allow_fallback: bool = False,
    locales_dir: Path = LOCALES_DIR,
    options: HandoutOptions = PLAIN,
    english_pages: int | None = None,
) -> RenderedPdf:
    """The PDF, and what it costs in paper: its pages, and how full the last one is.
    `english_pages`, when the caller knows it (a build renders English first), spares
    laying out the English handout again to learn a translation's page budget."""
    from weasyprint.urls import FatalURLFetchingError

    harfbuzz_subsetting()
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}")
    pdf_tags.install()
    layout = Layout(procedure, library, paper, allow_fallback, locales_dir, options, english_pages)
    try:
        with _glyph_watch() as missing_glyphs:
            document = layout.fitted(language)
            # custom_metadata: the translation's review status travels in the PDF's Info too
            pdf = document.write_pdf(pdf_variant=PDF_VARIANT, custom_metadata=True)
    except FatalURLFetchingError as error:
        cause = error.__cause__
        raise cause if isinstance(cause, FetchRefused) else FetchRefused(str(error)) from None
    if missing_glyphs:
        characters = "".join(sorted(set(missing_glyphs)))
        names = ", ".join(f'"{c}" (U+{ord(c):04X})' for c in characters)
        where = " (in the care-team note)" if set(characters) <= set(options.note) and options.note else ""
        raise MissingGlyphs(
            f"no installed font can draw {names}{where} in the '{language.tag}' handout for "
            f"{procedure.code}; remove it from the note, or install the Noto fonts (make setup)",
            characters,
        )
    return RenderedPdf(pdf, len(document.pages), last_page_fill(document))


@dataclass(frozen=True)
class Layout:
    """One handout laid out on paper, in any language, so that paper is not wasted:
    a last page less than a third full, or a translation more than one page longer
    than the English, gets a second, tighter layout (fit.css) when that saves a page."""

    procedure: Procedure
    library: Library
    paper: str
    allow_fallback: bool
    locales_dir: Path
    options: HandoutOptions
    known_english_pages: int | None = None

    def fitted(self, language: Language) -> weasyprint.Document:
        document = self.lay_out(language)
        pages = len(document.pages)
        if pages > 1 and (
            last_page_fill(document) < NEARLY_EMPTY or pages > self.english_pages(language) + 1
        ):
            tighter = self.lay_out(language, tight=True)  # one PDF in ten or so
            if len(tighter.pages) < pages:
                return tighter
        return document

    def english_pages(self, language: Language) -> int:
        """The English handout's pages, as the budget for a translation of the same
        handout (plain handouts only: a second language or a note changes the length)."""
        if language.tag == SOURCE_LANGUAGE or self.options.also_lang or self.options.note:
            return 1_000
        if self.known_english_pages is not None:
            return self.known_english_pages
        key = (self.library.digest(self.procedure), self.paper, self.locales_dir, self.options)
        if key not in _ENGLISH_PAGES:
            _ENGLISH_PAGES[key] = len(self.fitted(get_language(SOURCE_LANGUAGE)).pages)
        return _ENGLISH_PAGES[key]

    def lay_out(self, language: Language, *, tight: bool = False) -> weasyprint.Document:
        import weasyprint

        html = render_html(
            self.procedure,
            language,
            self.library,
            allow_fallback=self.allow_fallback,
            locales_dir=self.locales_dir,
            inline_css=False,
            options=self.options,
            for_pdf=True,
        )
        translator = Translator(language, self.locales_dir)
        review = self.library.review_status(self.procedure).current
        footer = footer_stylesheet(self.procedure, translator, self.paper, review)
        if translator.missing and not self.allow_fallback:
            raise MissingTranslations(language.tag, translator.missing)
        fonts, sheets, fit = _shared()
        fetcher = asset_fetcher()
        footer_sheet = weasyprint.CSS(string=footer, url_fetcher=fetcher, font_config=fonts)
        page = weasyprint.HTML(string=html, base_url=f"{ASSET_SCHEME}:/", url_fetcher=fetcher)
        return page.render(
            stylesheets=[*sheets, *([fit] if tight else []), footer_sheet],
            font_config=fonts,
            pdf_variant=PDF_VARIANT,
        )


def render_document(html: str) -> bytes:
    """A PDF of one of our own pages (a report, not a handout): tagged PDF/UA-1, its
    language from the page, fetching nothing outside our assets."""
    import weasyprint

    fonts, _, _ = _shared()
    page = weasyprint.HTML(string=html, base_url=f"{ASSET_SCHEME}:/", url_fetcher=asset_fetcher())
    return page.write_pdf(font_config=fonts, pdf_variant=PDF_VARIANT)


# English page counts by (text digest, paper, catalogs, options): a budget for translations.
_ENGLISH_PAGES: dict[tuple[Any, ...], int] = {}


def last_page_fill(document: weasyprint.Document) -> float:
    """The share of the last page's text area that its content takes, from the layout
    itself: the root box's height on that page over the page's content height."""
    page = document.pages[-1]._page_box  # WeasyPrint's laid-out page; no public accessor
    root = next((child for child in page.children if child.element_tag == "html"), None)
    if root is None or not page.height:
        return 0.0
    return round(min(1.0, root.margin_height() / page.height), 3)
