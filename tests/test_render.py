"""HTML pages and portal fragments, in every language."""

from __future__ import annotations

import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from markupsafe import escape

from explainer.catalogs import Translator
from explainer.errors import CatalogError, MissingTranslations
from explainer.languages import TAGS, get_language
from explainer.library import load_library
from explainer.render import WORDS_PER_MINUTE, render_html
from explainer.resources import LOCALES_DIR


class Outline(HTMLParser):
    """Top-level elements, attributes seen, and style text of an HTML snippet."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.roots: list[tuple[str, dict[str, str | None]]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.roots.append((tag, dict(attrs)))
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"
        if tag not in {"meta", "br", "img", "link", "input"}:
            self.depth += 1

    def handle_endtag(self, tag):
        self.depth -= 1
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)
        elif self.depth == 0 and data.strip():
            self.roots.append(("#text", {}))


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def first_paragraph(tag: str, library) -> str:
    text = library.get("63271").sections[0].blocks[0].items[0].text
    return Translator(get_language(tag)).text(text).text


@pytest.mark.parametrize("tag", TAGS)
def test_standalone_page_in_every_language(tag, library):
    language = get_language(tag)
    html = render_html(library.get("63271"), language, library)
    page = outline(html)
    root = page.tags[0]
    assert root == ("html", {"lang": tag, "dir": language.direction})
    assert ("meta", {"charset": "utf-8"}) in page.tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in page.tags
    title = Translator(language).text(library.get("63271").title.text).text
    assert f"<title>{escape(title)}</title>" in html
    assert first_paragraph(tag, library) in html
    assert "@page" in "".join(page.styles), "print CSS"
    draft = Translator(language).gettext("Draft translation.")
    assert (draft in html) == (tag != "en")
    if tag != "en":
        assert draft != "Draft translation.", "the draft notice is in the handout's language"


def test_arabic_page_is_right_to_left(library):
    html = render_html(library.get("63271"), get_language("ar"), library)
    assert html.startswith('<!DOCTYPE html>\n<html lang="ar" dir="rtl">')
    assert '<article class="explainer-handout" lang="ar" dir="rtl">' in html


@pytest.mark.parametrize("tag", ["en", "ar", "zh"])
def test_fragment_is_one_scoped_self_contained_element(tag, library):
    language = get_language(tag)
    html = render_html(library.get("63271"), language, library, fragment=True)
    fragment = outline(html)
    assert fragment.roots == [
        ("article", {"class": "explainer-handout", "lang": tag, "dir": language.direction})
    ]
    css = re.sub(r"/\*.*?\*/", "", "".join(fragment.styles), flags=re.S)
    blocks = re.findall(r"([^{}]+)\{[^{}]*\}", css)
    selectors = [s.strip() for block in blocks for s in re.split(r",(?![^(]*\))", block)]
    assert selectors and all(s.startswith(".explainer-handout") for s in selectors), selectors
    assert "@page" not in css and "@import" not in css and "url(" not in css
    assert not any(tag in {"script", "link", "img", "iframe"} for tag, _ in fragment.tags)
    assert not any("src" in attrs or "href" in attrs for _, attrs in fragment.tags)


def test_dates_and_plurals_are_localized(library):
    procedure = library.get("63271")
    assert "1 de diciembre de 2026" in render_html(procedure, get_language("es"), library)
    assert "2026年12月1日" in render_html(procedure, get_language("zh"), library)
    minutes = math.ceil(procedure.word_count / WORDS_PER_MINUTE)
    assert 11 <= minutes <= 99  # Arabic and Russian "many", the fifth and third forms
    for tag, expected in {"ar": 4, "ru": 2, "en": 1}.items():
        html = render_html(procedure, get_language(tag), library)
        reading = Translator(get_language(tag)).ngettext(
            "Reading time: about %(num)s minute", "Reading time: about %(num)s minutes", minutes
        )
        assert reading % {"num": minutes} in html
        if tag != "en":
            entry = read_po((LOCALES_DIR / tag / "LC_MESSAGES" / "messages.po").open("rb"))
            assert reading == entry["Reading time: about %(num)s minute"].string[expected]


def test_urgency_levels_picture_and_write_in_box(library, tmp_path):
    from explainer.clinic import load_clinic
    from explainer.options import make_options

    english = get_language("en")
    clinic_file = tmp_path / "clinic.toml"
    clinic_file.write_text(
        'name = "Test Clinic"\nphone = "555 010 0199"\nafter_hours_phone = "555 010 0100"\n'
    )
    options = make_options(english, clinic=load_clinic(clinic_file))
    html = render_html(library.get("63271"), english, library, options=options).split("</style>")[-1]
    levels = re.findall(r'<div class="xh-level xh-level-([a-z0-9-]+)">\s*<h3>([^<]+)</h3>', html)
    assert levels == [
        ("call-911", "Call 911"),
        ("emergency-room", "Go to the emergency room now"),
        ("today", "Call your care team today"),
    ]
    today = html[html.index("xh-level-today") :]
    today = today[: today.index("</div>")]
    assert "Your care team:" in today and "After hours:" in today and 'href="tel:5550100100"' in today
    assert html.index("xh-key-points") < html.index("xh-in-simple-words") < html.index("xh-picture")
    assert (
        html.count('<svg viewBox="0 0 320 260"') == 1 and 'role="img" aria-label="Drawing of a slice' in html
    )
    legend = re.search(r'<ol class="xh-legend" role="list">(.*?)</ol>', html, re.S)
    assert legend and legend.group(1).count("<li>") == 7 and "Spinal cord" in legend.group(1)
    lower = render_html(library.get("63267"), english, library)
    assert "Nerve roots: below the spinal cord" in lower
    # The write-in box is for paper: the page and the fragment leave it out.
    assert "xh-write-in" not in html and "For you to fill in" not in html
    assert "For you to fill in" in render_html(library.get("63271"), english, library, for_pdf=True)


def test_an_untranslated_paragraph_fails_unless_fallback_is_allowed(source_copy):
    path = source_copy / "63271.md"
    new = "This sentence was added after the catalogs were translated."
    path.write_text(path.read_text().replace("## Why it is done\n", f"## Why it is done\n\n{new}\n"))
    library = load_library(source_copy)
    with pytest.raises(MissingTranslations) as caught:
        render_html(library.get("63271"), get_language("es"), library)
    assert caught.value.messages == [new]
    assert "1 message not translated into 'es'" in str(caught.value)
    assert "--allow-fallback" in str(caught.value)

    html = render_html(library.get("63271"), get_language("es"), library, allow_fallback=True)
    assert f'<p lang="en" dir="ltr">{new}</p>' in html
    notice = Translator(get_language("es")).gettext(
        "Some parts of this handout are in English because their translation is not ready yet. "
        "Ask your care team for help with those parts."
    )
    assert notice in html and "Some parts of this handout" not in notice


def _tampered_locales(tmp_path: Path, changes: dict[str, str], domain: str) -> Path:
    """A copy of the catalogs with some Spanish translations replaced, compiled."""
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    for d in ("messages", "procedures"):
        po = locales / "es" / "LC_MESSAGES" / f"{d}.po"
        with po.open("rb") as file:
            catalog = read_po(file)
        if d == domain:
            for msgid, text in changes.items():
                catalog[msgid].string = text
            with po.open("wb") as file:
                write_po(file, catalog)
        with po.with_suffix(".mo").open("wb") as file:
            write_mo(file, catalog)
    return locales


def test_translations_are_untrusted_text(tmp_path, library):
    first = library.get("63271").sections[0].blocks[0].items[0].text
    hostile = {"Patient information": "<script>alert(1)</script>"}
    locales = _tampered_locales(tmp_path / "m", hostile, "messages")
    html = render_html(library.get("63271"), get_language("es"), library, locales_dir=locales)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    hostile = {first: '<img src="file:///etc/passwd"> ![x](file:///etc/passwd) {{ 7*7 }}'}
    locales = _tampered_locales(tmp_path / "p", hostile, "procedures")
    html = render_html(library.get("63271"), get_language("es"), library, locales_dir=locales)
    assert "<img" not in html
    assert '&lt;img src="file:///etc/passwd"&gt; ![x](file:///etc/passwd) {{ 7*7 }}' in html


def test_a_translation_with_wrong_placeholders_is_a_catalog_error(tmp_path, library):
    broken = {"Text last changed: %(date)s. Not yet reviewed by a clinician.": "Cambiado: %(fecha)s."}
    locales = _tampered_locales(tmp_path, broken, "messages")
    with pytest.raises(CatalogError, match=r"'es' translation of 'Text last changed: %\(date\)s"):
        render_html(library.get("63271"), get_language("es"), library, locales_dir=locales)
