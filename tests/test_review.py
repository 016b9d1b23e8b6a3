"""Translation review as a reviewer does it: the review page in real headless
Chromium, the handouts it changes, the records it writes, and the report."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_percent
from pypdf import PdfReader

from explainer.languages import get_language
from explainer.pdf import render_pdf
from explainer.render import render_html, render_json
from explainer.resources import LOCALES_DIR
from explainer.review.coverage import language_reviews

from .conftest import ARTIFACTS, pdf_text, run_cli
from .stack import ReviewPage
from .test_browser import axe

REVIEWERS = """
[ana]
name = "Ana Ruiz"
credential = "CMI-Spanish"
organisation = "Test Clinic"

[ben]
name = "Ben Okafor"
credential = "CHI-Spanish"

[sami]
name = "Sami Haddad"
credential = "CMI-Arabic"

[lin]
name = "Lin Wei"
credential = "CHI-Mandarin"
"""


@pytest.fixture(scope="module")
def locales(tmp_path_factory):
    """A copy of the catalogs: the page writes to them."""
    folder = tmp_path_factory.mktemp("review") / "locales"
    shutil.copytree(LOCALES_DIR, folder)
    (folder / "reviewers.toml").write_text(REVIEWERS, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def shortest(library):
    """The handout with the fewest messages: the quickest to approve in full."""
    return min(library.procedures.values(), key=lambda p: len(set(library.messages_for(p))))


def approve_all(page, url: str) -> int:
    page.goto(url)
    clicks = 0
    while (button := page.locator("form[action='/approve'] button")).count():
        button.first.click()
        page.wait_for_load_state()
        clicks += 1
    return clicks


def notice(procedure, library, locales: Path) -> str:
    html = render_html(procedure, get_language("es"), library, locales_dir=locales)
    return html.split('<aside class="xh-notice xh-', 2)[2].split("</aside>")[0]


def test_a_handout_goes_from_draft_to_partly_checked_to_checked_and_back(browser, library, locales, shortest):
    es = get_language("es")
    assert "Traducción preliminar." in notice(shortest, library, locales)
    assert language_reviews(es, locales).handout(shortest, library).state == "draft"

    ana = ReviewPage(locales, "es", "ana")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{ana.url}/handout/{shortest.code}")
        page.locator("details summary").nth(1).click()  # one correction form open, as a reviewer would
        page.screenshot(path=str(ARTIFACTS / "review-page-es.png"), full_page=False)
        own = approve_all(page, f"{ana.url}/handout/{shortest.code}")
        assert own == len(set(library.messages_for(shortest)))
        review = language_reviews(es, locales).handout(shortest, library)
        assert review.state == "partly reviewed" and review.approved == own
        partly = notice(shortest, library, locales)
        percent = format_percent(int(100 * review.share) / 100, locale=es.number_locale)  # "57%"
        assert "Traducción revisada en parte." in partly and f"el {percent} de esta traducción" in partly
        data = render_json(shortest, es, library, locales_dir=locales)
        assert data["translation_review"]["state"] == "partly reviewed" and data["draft_translation"]
        assert f"el {percent} de esta traducción" in data["draft_notice"]

        interface = approve_all(page, f"{ana.url}/interface")
        assert interface == len(language_reviews(es, locales).interface())
        checked = notice(shortest, library, locales)
        assert (
            "Traducción revisada." in checked and "<bdi>Ana Ruiz, CMI-Spanish (Test Clinic)</bdi>" in checked
        )
        assert language_reviews(es, locales).handout(shortest, library).state == "reviewed"
        pdf = render_pdf(shortest, es, library, locales_dir=locales)
        info = PdfReader(io.BytesIO(pdf)).metadata
        assert info[
            "/translationreview"
        ]  # HTML meta names are lowercase.startswith("reviewed by Ana Ruiz, CMI-Spanish (Test Clinic) on 20")
        assert "Traducción revisada." in pdf_text(pdf)
        data = render_json(shortest, es, library, locales_dir=locales)
        assert (data["draft_translation"], data["draft_notice"]) == (False, None)
        assert data["translation_review"]["reviewers"][0]["name"] == "Ana Ruiz"

        # Ana corrects one message and leaves it for a second reviewer: the PO file has the
        # new text (not fuzzy), her old approval is stale, the handout is partly checked.
        first = shortest.title.text
        page.goto(f"{ana.url}/handout/{shortest.code}")
        row = page.locator("tr", has=page.locator("td[lang='en']", has_text=first)).first
        row.locator("summary").click()
        old = row.locator("textarea[name='translation']").input_value()
        row.locator("textarea[name='translation']").fill(old + " (corregido)")
        row.locator("textarea[name='comment']").fill("Más claro para pacientes")
        row.locator("button", has_text="Save correction").click()
        page.wait_for_load_state()
        po = (locales / "es" / "LC_MESSAGES" / "procedures.po").read_text(encoding="utf-8")
        assert f"{old} (corregido)" in po.replace('"\n"', "")
        assert "# Reviewer correction by Ana Ruiz, CMI-Spanish (Test Clinic)" in po
        reviews = language_reviews(es, locales)
        assert reviews.handout(shortest, library).state == "partly reviewed"
        assert [r.text for r in reviews.stale()] == []  # her record moved to the new text, as a proposal
        assert reviews.message("procedures", first).state == "proposed"
        assert "Traducción revisada en parte." in notice(shortest, library, locales)
        refused = httpx.post(
            f"{ana.url}/approve",
            data={"token": "wrong", "domain": "procedures", "source": "x", "back": shortest.code},
        )
        assert refused.status_code == 400 and "another session" in refused.text
        rebinding = httpx.get(f"{ana.url}/", headers={"Host": "attacker.example"})
        assert rebinding.status_code == 421
        page.close()
    finally:
        ana.stop()

    ben = ReviewPage(locales, "es", "ben")
    try:
        page = browser.new_page()
        assert approve_all(page, f"{ben.url}/handout/{shortest.code}") == 1  # only the correction was open
        page.close()
    finally:
        ben.stop()
    checked = notice(shortest, library, locales)
    assert (
        "Traducción revisada." in checked and "Ben Okafor, CHI-Spanish" in checked and "Ana Ruiz" in checked
    )

    # A translator changes the translation in the PO file: that approval goes stale.
    po_path = locales / "es" / "LC_MESSAGES" / "procedures.po"
    with po_path.open("rb") as file:
        catalog = read_po(file)
    catalog[first].string = catalog[first].string.replace(" (corregido)", " (otra vez)")
    with po_path.open("wb") as file:
        write_po(file, catalog, width=76)
    pybabel = Path(sys.executable).parent / "pybabel"
    compile_es = [str(pybabel), "compile", "-d", str(locales), "-D", "procedures", "-l", "es"]
    subprocess.run(compile_es, check=True, capture_output=True)
    reviews = language_reviews(es, locales)
    assert reviews.handout(shortest, library).state == "partly reviewed"
    assert sorted(r.reviewer for r in reviews.stale()) == ["ana", "ben"]  # her proposal, his approval


def test_the_report_lists_exactly_what_was_approved(library, locales, shortest, tmp_path):
    reviews = language_reviews(get_language("es"), locales)
    approved = {
        (m.domain, m.english)
        for m in [
            *reviews.interface(),
            *(reviews.message("procedures", t) for t in library.messages_for(shortest)),
        ]
        if m.state == "approved"
    }
    run_cli(
        "review",
        "report",
        "--lang",
        "es",
        "--locales",
        str(locales),
        "--code",
        shortest.code,
        "-o",
        str(tmp_path),
        check=True,
    )
    with (tmp_path / "review-es.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    listed = {(r["catalog"], r["english"]) for r in rows if r["state"] == "approved"}
    assert listed == approved and approved
    assert {r["reviewer"] for r in rows if r["state"] == "approved"} == {"Ana Ruiz"}  # Ben's went stale
    assert {r["handout"] for r in rows} == {"interface", shortest.code}
    text = pdf_text((tmp_path / "review-es.pdf").read_bytes())
    assert "Translation review report: Spanish" in text and "Ana Ruiz" in text


@pytest.mark.parametrize(("lang", "reviewer", "direction"), [("ar", "sami", "rtl"), ("zh", "lin", "ltr")])
def test_the_page_shows_arabic_right_to_left_and_chinese_in_its_own_face(
    browser, locales, shortest, lang, reviewer, direction
):
    reviewing = ReviewPage(locales, lang, reviewer)
    try:
        # bypass_csp: the page allows no script, and axe-core is one
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{reviewing.url}/handout/{shortest.code}")
        assert axe(page) == []  # WCAG 2.2 A and AA
        cell = page.locator(f"td[lang='{lang}']").first
        assert cell.evaluate("e => getComputedStyle(e).direction") == direction
        assert page.locator(f"textarea[lang='{lang}']").first.evaluate("e => e.dir") == direction
        page.screenshot(path=str(ARTIFACTS / f"review-page-{lang}.png"), full_page=False)
        context.close()
    finally:
        reviewing.stop()


def test_a_reviewer_name_with_a_direction_control_is_refused_by_name(tmp_path):
    from explainer.review.records import ReviewError, load_reviewers

    (tmp_path / "reviewers.toml").write_text('[x]\nname = "Ana \u202eRuiz"\ncredential = "CMI"\n', "utf-8")
    with pytest.raises(ReviewError, match=r"reviewer 'x' name: character 5 is U\+202E"):
        load_reviewers(tmp_path)


def test_approvals_are_sorted_lines_that_merge_and_go_stale_with_the_text(tmp_path):
    from explainer.review.records import Reviewer, approvals_path, load_approvals, record

    (tmp_path / "es" / "LC_MESSAGES").mkdir(parents=True)
    ana, ben = Reviewer("ana", "Ana", "CMI"), Reviewer("ben", "Ben", "CHI")
    record(tmp_path, "es", "procedures", "Key points", "Puntos clave", ben)
    record(tmp_path, "es", "procedures", "Key points", "Puntos clave", ana)
    record(tmp_path, "es", "messages", "PDF", "PDF", ana, kind="proposed")
    record(tmp_path, "es", "procedures", "Key points", "Puntos importantes", ana)  # replaces her first
    lines = approvals_path(tmp_path, "es").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) == 3
    records = load_approvals(tmp_path, "es")
    assert {(r.reviewer, r.kind, r.text) for r in records} == {
        ("ben", "approved", "Key points"),
        ("ana", "approved", "Key points"),
        ("ana", "proposed", "PDF"),
    }
    assert len({r.translation for r in records if r.text == "Key points"}) == 2  # different texts seen
