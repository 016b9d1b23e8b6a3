"""Finding handouts by words (SQLite FTS5, trigram) and by HCPCS codes."""

from __future__ import annotations

import pytest

from explainer.catalogs import Translator
from explainer.errors import MalformedCode, UnknownProcedure
from explainer.languages import get_language
from explainer.search import fold, search

from .conftest import run_cli


def codes(library, lang, query):
    return [hit.code for hit in search(library, Translator(get_language(lang)), query)]


@pytest.mark.parametrize(
    ("lang", "query"),
    [
        ("en", "colonoscopy"),
        ("en", "bowel scope"),  # words from the keywords, not the title
        ("en", "Colonoscopy polyp"),
        ("es", "colonoscopia"),
        ("es", "colonoscopy"),  # English words work in every language
        ("zh", "结肠镜"),
        ("ko", "대장내시경"),
        ("ar", "القولون"),
        ("vi", "nội soi đại tràng"),
    ],
)
def test_colonoscopy_is_found_in_words_people_type(library, lang, query):
    found = codes(library, lang, query)
    assert found and found[0] in {"45378", "45380", "45384", "45385"}, found
    assert "45378" in found


def test_every_word_must_match_and_short_words_still_work(library):
    assert codes(library, "en", "knee") and set(codes(library, "en", "knee")) >= {"29880", "29881", "29888", "27447"}
    assert codes(library, "en", "knee cataract") == []
    assert "69436" in codes(library, "en", "ear")  # two letters: a scan, not the trigram index
    assert codes(library, "en", "zzzz") == []


def test_codes_of_both_systems_are_found(library):
    assert codes(library, "en", "45385") == ["45385"]
    assert codes(library, "de", "g0121") == ["45378"]
    procedure, system = library.lookup("G0105")
    assert (procedure.code, system) == ("45378", "HCPCS")
    with pytest.raises(UnknownProcedure):
        library.lookup("G9999")
    with pytest.raises(MalformedCode, match="HCPCS"):
        library.lookup("Z12.11")


def test_folding_ignores_case_and_accents_but_keeps_other_scripts():
    assert fold("Colonoscopía ÉTUDE") == "colonoscopia etude"
    assert fold("대장내시경") == "대장내시경" and fold("القولون") == "القولون"


def test_cli_search_and_hcpcs_render(tmp_path):
    found = run_cli("procedures", "--search", "colonoscopia", "--lang", "es", check=True).stdout.decode()
    assert found.splitlines()[0].startswith("45378") or "45378" in found
    missing = run_cli("procedures", "--search", "qwertyuiop")
    assert missing.returncode == 1 and b"no handout matches 'qwertyuiop'" in missing.stderr
    rendered = run_cli("render", "G0121", "--format", "html", "-o", "-", check=True)
    assert b"HCPCS G0121 is explained by the handout for CPT 45378" in rendered.stderr
    assert b"45378" in rendered.stdout
