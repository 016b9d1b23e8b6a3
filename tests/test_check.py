"""`explainer check` catches what it claims, each with file and line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from explainer.quality.check import plural_problems, run_checks
from explainer.resources import LOCALES_DIR, PROCEDURES_DIR

from .conftest import LIBRARY_SIZE, run_cli

FEVER = "You have a fever of 100.4 °F (38 °C) or higher."
READING = "Reading time: about %(num)s minute"


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    procedures, locales = tmp_path / "procedures", tmp_path / "locales"
    shutil.copytree(PROCEDURES_DIR, procedures)
    shutil.copytree(LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    return procedures, locales


def edit_catalog(locales: Path, tag: str, domain: str, msgid: str, string) -> int:
    """Replace one translation; returns the line its entry starts on."""
    path = locales / tag / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as file:
        catalog = read_po(file)
    catalog[msgid].string = string
    with path.open("wb") as file:
        write_po(file, catalog)
    with path.open("rb") as file:
        return read_po(file)[msgid].lineno


def findings(report, path_end: str) -> list[str]:
    return [f"{f.line}: {f.message}" for f in report.findings if f.path.endswith(path_end)]


def test_the_real_library_passes():
    report = run_checks()
    assert report.errors == []
    assert {(c.lang, c.domain) for c in report.catalogs if c.percent == 100} == {
        (c.lang, c.domain) for c in report.catalogs
    }
    assert len(report.readability) == LIBRARY_SIZE
    assert max(r.grade for r in report.readability) <= 8


def test_a_changed_number_is_an_error_with_its_line(tree):
    procedures, locales = tree
    line = edit_catalog(locales, "es", "procedures", FEVER, "Tiene fiebre de 101.4 °F (38 °C) o más.")
    found = findings(run_checks(procedures, locales), "es/LC_MESSAGES/procedures.po")
    assert f"{line}: numbers differ: source ['100.4', '38'], translation ['101.4', '38']" in found


def test_arabic_indic_digits_and_decimal_commas_are_the_same_numbers(tree):
    procedures, locales = tree
    arabic_digits = "لديك حمى \u0661\u0660\u0660\u066b\u0664 درجة فهرنهايت (\u0663\u0668 درجة مئوية) أو أكثر."
    edit_catalog(locales, "ar", "procedures", FEVER, arabic_digits)
    edit_catalog(locales, "de", "procedures", FEVER, "Sie haben Fieber von 100,4 °F (38 °C) oder mehr.")
    report = run_checks(procedures, locales)
    assert not [f for f in report.errors if "numbers differ" in f.message]


CHANGED = "Text last changed: %(date)s. Not yet reviewed by a clinician."


def test_decimal_numbers_follow_each_languages_cldr_separator(tree):
    procedures, locales = tree
    edit_catalog(locales, "de", "procedures", FEVER, "Sie haben Fieber von 100.4 °F (38 °C) oder höher.")
    edit_catalog(locales, "es", "procedures", FEVER, "Tiene fiebre de 100.4 °F (38 °C) o más.")
    report = run_checks(procedures, locales)
    assert any(
        "decimal number '100.4' should be written with ',' in 'de'" in f
        for f in findings(report, "de/LC_MESSAGES/procedures.po")
    )
    assert not [
        f for f in findings(report, "es/LC_MESSAGES/procedures.po") if "decimal number" in f
    ]  # es_US writes 100.4


def test_french_spacing_is_checked(tree):
    procedures, locales = tree
    question = "How long will I stay in the hospital?"
    line = edit_catalog(locales, "fr", "procedures", question, "Combien de temps vais-je rester à l'hôpital?")
    found = findings(run_checks(procedures, locales), "fr/LC_MESSAGES/procedures.po")
    assert any(f.startswith(f"{line}: French spacing: put a no-break space") and "'?'" in f for f in found)
    edit_catalog(locales, "fr", "procedures", question, "Combien de temps vais-je rester à l'hôpital\u202f?")
    found = findings(run_checks(procedures, locales), "fr/LC_MESSAGES/procedures.po")
    assert not [f for f in found if "French spacing" in f]


def test_a_dropped_placeholder_is_an_error_with_its_line(tree):
    procedures, locales = tree
    line = edit_catalog(locales, "fr", "messages", CHANGED, "Dernière modification.")
    found = findings(run_checks(procedures, locales), "fr/LC_MESSAGES/messages.po")
    assert f"{line}: placeholders differ: source ['%(date)s'], translation []" in found


def test_broken_markup_is_an_error_with_its_line(tree):
    procedures, locales = tree
    line = edit_catalog(
        locales, "de", "procedures", FEVER, "Sie haben <b>Fieber von 100.4 °F (38 °C) oder mehr."
    )
    found = findings(run_checks(procedures, locales), "de/LC_MESSAGES/procedures.po")
    assert f"{line}: markup differs: source [], translation ['<b>']" in found


def test_a_missing_plural_form_is_an_error_with_its_line(tree):
    procedures, locales = tree
    path = locales / "ar" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        forms = list(read_po(file)[READING].string)
    forms[4] = ""
    line = edit_catalog(locales, "ar", "messages", READING, tuple(forms))
    found = findings(run_checks(procedures, locales), "ar/LC_MESSAGES/messages.po")
    assert f"{line}: plural form msgstr[4] is empty" in found


def test_an_undefined_related_code_and_term_are_errors_with_their_lines(tree):
    procedures, locales = tree
    path = procedures / "63290.md"
    text = path.read_text().replace("related: ", "related: 63299, ").replace("terms: ", "terms: syrinx, ")
    path.write_text(text)
    found = findings(run_checks(procedures, locales), "procedures/63290.md")
    assert "7: related code 63299 has no procedure file" in found
    assert "8: term 'syrinx' is not defined in glossary.md" in found


def test_an_unparsable_catalog_is_an_error_with_its_line(tree):
    procedures, locales = tree
    path = locales / "ru" / "LC_MESSAGES" / "messages.po"
    lines = path.read_text().splitlines()
    broken = next(i for i, line in enumerate(lines) if line.startswith("msgstr") and i > 20)
    lines[broken] = "nonsense here"
    path.write_text("\n".join(lines) + "\n")
    found = findings(run_checks(procedures, locales), "ru/LC_MESSAGES/messages.po")
    assert any(f.startswith(f"{broken + 1}: cannot parse") for f in found), found


def test_babels_own_arabic_plural_rule_is_rejected():
    babel_rule = "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=0 && n%100<=2 ? 4 : 5)"
    assert plural_problems("ar", 6, babel_rule)
    assert plural_problems("ru", 2, "(n != 1)")
    assert plural_problems("ar", 6, "n ==") and "invalid" in plural_problems("ar", 6, "n ==")[0]


def test_a_cldr_change_shows_as_one_clear_error():
    """Babel 2.19's CLDR gives Vietnamese 'one' (0 and 1) and 'other'; the header
    that suited older CLDR (one form) now names the rule it should follow."""
    assert plural_problems("vi", 1, "0") == ["Plural-Forms does not match CLDR's rule for 'vi': one, other"]
    assert plural_problems("vi", 2, "(n > 1)") == []


@pytest.mark.parametrize("tag", ["es", "zh", "ru", "ar", "vi", "fr", "de", "ko", "tl"])
def test_every_shipped_plural_header_suits_its_language(tag):
    for domain in ("messages", "procedures"):
        with (LOCALES_DIR / tag / "LC_MESSAGES" / f"{domain}.po").open("rb") as file:
            catalog = read_po(file)
        assert plural_problems(tag, catalog.num_plurals, catalog.plural_expr) == []


def test_hard_english_fails_and_names_the_section(tree):
    procedures, locales = tree
    path = procedures / "63271.md"
    hard = (
        "Postoperative neurological deterioration, cerebrospinal fluid fistulization and consequential "
        "pseudomeningocele formation constitute recognized complications necessitating multidisciplinary "
        "evaluation and individualized perioperative management considerations."
    )
    body = path.read_text()
    start, end = body.index("## Why it is done"), body.index("## What happens")
    heavy = "## Why it is done\n\n" + "\n\n".join([hard] * 3) + "\n\n"
    everything = "\n\n".join([hard] * 12)
    path.write_text(
        body[:start] + heavy + body[end:].replace("## Getting ready", everything + "\n\n## Getting ready")
    )
    found = findings(run_checks(procedures, locales), "procedures/63271.md")
    heading = path.read_text().splitlines().index("## Why it is done") + 1
    assert any("reading grade" in f and "is above 8" in f for f in found), found
    assert any(f.startswith(f"{heading}: section 'Why it is done' reads at grade") for f in found), found


def test_a_long_sentence_is_a_warning(tree):
    procedures, locales = tree
    path = procedures / "63271.md"
    long = " ".join(["You can walk a little and then rest a little"] * 4) + "."
    path.write_text(path.read_text().replace("## Getting ready\n", f"## Getting ready\n\n{long}\n"))
    found = findings(run_checks(procedures, locales), "procedures/63271.md")
    assert any("longest sentence has 40 words" in f for f in found), found


def test_check_command_prints_tables_and_json(tmp_path):
    text = run_cli("check", cwd=tmp_path)
    assert text.returncode == 0, text.stdout.decode()[-2000:]
    out = text.stdout.decode()
    assert "lang  domain" in out and "Fernández-Huerta" in out and "Amstad" in out and "Kandel-Moles" in out
    assert "Oborneva" in out and re.search(r"OK: 0 error\(s\), \d+ warning\(s\)$", out.rstrip())
    # What warns in the shipped library is only the plain-language target (grade 6, 25 words):
    warnings = [line for line in out.splitlines() if ": warning: " in line]
    assert all("reads at grade" in w or "longest sentence" in w for w in warnings), warnings
    data = json.loads(run_cli("check", "--format", "json", cwd=tmp_path, check=True).stdout)
    assert data["ok"] and len(data["catalogs"]) == 20 and len(data["readability"]) == LIBRARY_SIZE


def test_check_command_fails_on_errors(tree, tmp_path):
    procedures, locales = tree
    edit_catalog(locales, "es", "procedures", FEVER, "Tiene fiebre de 101.4 °F (38 °C) o más.")
    result = run_cli("check", "--procedures", str(procedures), "--locales", str(locales), cwd=tmp_path)
    assert result.returncode == 1
    assert "numbers differ" in result.stdout.decode()


def test_terminology_from_the_translation_review_is_enforced(tree):
    procedures, locales = tree
    surgery = "What are the risks of this surgery for me?"
    line = edit_catalog(locales, "ko", "procedures", surgery, "이 시술은 저에게 어떤 위험이 있나요?")
    found = findings(run_checks(procedures, locales), "ko/LC_MESSAGES/procedures.po")
    assert (
        f"{line}: terminology: where the English says surgery or surgeon or operation, write 수술, not '시술'"
        in [f.split(" (locales/")[0] for f in found]
    )


def test_thousands_may_be_grouped_as_each_language_does():
    from explainer.quality.check import _numbers

    english = _numbers("about 1 in every 1,000 to 3,000 exams")
    for written in ("1000 и 3000", "1.000 bis 3.000", "1\u00a0000 à 3\u202f000", "1,000 - 3,000"):
        assert _numbers("1 " + written) == english, written
    assert _numbers("100,4 °F (38 °C)") == _numbers("100.4 °F (38 °C)")
    assert _numbers("1 in 100") != english
