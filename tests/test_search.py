"""Finding handouts by words (SQLite FTS5, trigram) and by HCPCS codes."""

from __future__ import annotations

import pytest

from explainer.catalogs import Translator
from explainer.errors import MalformedCode, UnknownProcedure
from explainer.languages import get_language
from explainer.library import load_library
from explainer.render import render_html
from explainer.search import fold, search

from .conftest import run_cli

CORD_TUMORS = {"63285", "63286", "63287"}


def codes(library, lang, query):
    return [hit.code for hit in search(library, Translator(get_language(lang)), query)]


@pytest.mark.parametrize(
    ("lang", "query"),
    [
        ("en", "tumor inside the spinal cord"),
        ("en", "Spinal CORD tumor"),
        ("es", "tumor médula"),
        ("es", "tumor medula"),  # accents folded
        ("es", "spinal cord tumor"),  # English words work in every language
        ("zh", "脊髓"),  # no spaces between words: trigrams match inside the text
        ("ko", "척수"),  # two characters: a scan, not the trigram index
        ("ar", "الحبل الشوكي"),
        ("vi", "khối u tủy sống"),
    ],
)
def test_cord_tumor_surgery_is_found_in_words_people_type(library, lang, query):
    found = codes(library, lang, query)
    assert found and found[0] in CORD_TUMORS, found
    assert set(found) >= CORD_TUMORS, found


def test_every_word_must_match(library):
    assert set(codes(library, "en", "neck")) >= {"63265", "63270", "63275", "63280", "63285"}
    assert codes(library, "en", "cataract sacrum") == []
    assert codes(library, "en", "zzzz") == []


@pytest.mark.parametrize(
    ("lang", "query"),
    [
        ("en", "colonoscopy"),
        ("en", "bowel scope"),
        ("es", "colonoscopia"),
        ("zh", "结肠镜"),
        ("ar", "تنظير القولون"),
    ],
)
def test_colonoscopy_is_found_in_each_language(library, lang, query):
    found = codes(library, lang, query)
    assert "45378" in found, found
    assert set(found[:4]) == {"45378", "45380", "45384", "45385"}, found  # title matches first


def test_codes_are_found_and_hcpcs_codes_lead_to_their_handout(library, source_copy):
    assert codes(library, "en", "63271") == ["63271"]
    assert library.lookup("g0121")[0].code == "45378" and library.lookup("G0105")[1] == "HCPCS"
    assert codes(library, "ko", "G0121") == ["45378"]
    path = source_copy / "63271.md"
    path.write_text(path.read_text().replace("group: spine\n", "group: spine\ncodes: HCPCS S9999\n"))
    other = load_library(source_copy)
    procedure, system = other.lookup("s9999")
    assert (procedure.code, system) == ("63271", "HCPCS")
    assert codes(other, "de", "S9999") == ["63271"]
    with pytest.raises(UnknownProcedure):
        library.lookup("G9999")
    with pytest.raises(MalformedCode, match="HCPCS"):
        library.lookup("Z12.11")


def test_a_code_claimed_twice_is_an_error(source_copy):
    from explainer.errors import ContentError

    for code in ("63271", "63272"):
        path = source_copy / f"{code}.md"
        path.write_text(path.read_text().replace("group: spine\n", "group: spine\ncodes: HCPCS S9999\n"))
    with pytest.raises(ContentError, match="code S9999 is also claimed by 63271"):
        load_library(source_copy)


def test_keyword_lists_split_on_the_semicolon_each_script_uses():
    from explainer.procedures import split_keywords

    assert split_keywords("colonoscopy; bowel scope;") == ["colonoscopy", "bowel scope"]
    assert split_keywords("结肠镜\uff1b肠镜") == ["结肠镜", "肠镜"]  # full-width semicolon
    assert split_keywords("تنظير القولون؛ منظار") == ["تنظير القولون", "منظار"]


def test_folding_ignores_case_and_accents_but_keeps_other_scripts():
    assert fold("Colonoscopía ÉTUDE") == "colonoscopia etude"
    assert fold("대장내시경") == "대장내시경" and fold("القولون") == "القولون"


def test_keywords_are_searchable_and_shown_to_translators(library, source_copy):
    path = source_copy / "63271.md"
    text = path.read_text()
    old = next(line for line in text.splitlines() if line.startswith("keywords: "))
    path.write_text(text.replace(old, "keywords: zebra stripes; back surgery"))
    other = load_library(source_copy)
    assert codes(other, "en", "zebra") == ["63271"]
    assert "zebra stripes; back surgery" in [m.text for m in other.get("63271").messages()]


def test_cli_search_and_code_render(tmp_path):
    found = run_cli("procedures", "--search", "médula", "--lang", "es", check=True).stdout.decode()
    assert {line.split()[0] for line in found.splitlines()} >= CORD_TUMORS
    missing = run_cli("procedures", "--search", "qwertyuiop")
    assert missing.returncode == 1 and b"no handout matches 'qwertyuiop'" in missing.stderr
    rendered = run_cli("render", "63271", "--format", "html", "-o", "-", check=True)
    assert rendered.stderr == b"" and b"63271" in rendered.stdout
    hcpcs = run_cli("render", "G0121", "--lang", "ar", "--format", "html", "-o", "-", check=True)
    assert b"G0121" in hcpcs.stderr and b"45378" in hcpcs.stderr and b'dir="rtl"' in hcpcs.stdout


def test_the_library_page_groups_by_body_system(library, tmp_path):
    from explainer.index import render_index

    page = render_index(tmp_path, library, ["en", "ar"])
    assert "<h2>Spine and nerves (29)</h2>" in page and "<h2>Eyes (2)</h2>" in page
    assert page.count('<section class="group">') == 2 * 7
    assert render_html(library.get("63271"), get_language("en"), library)
