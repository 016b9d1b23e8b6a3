"""Paper: PDFs that end on a page at least a third full, translations at most one page
longer than the English, type never smaller than 13 pt; measured from real builds."""

from __future__ import annotations

import json
import re

import page

from explainer.build import Settings, build, plan
from explainer.languages import TAGS
from explainer.library import default_library
from explainer.quality.check import run_checks
from explainer.quality.paper import paper_report
from explainer.resources import TEMPLATES_DIR

from .conftest import run_cli

# Before the print layout these wasted most paper: a last page nearly empty in some
# languages, or a translation two pages longer than the English.
HARD_CASES = ["63280", "63290", "63272", "29880", "27447", "47562"]


def test_the_hardest_handouts_waste_no_paper_in_any_language(tmp_path):
    root = tmp_path / "output"
    result = build(plan(default_library(), TAGS, HARD_CASES, ["pdf"]), Settings(root), workers=2)
    assert not result.failed
    report = paper_report(root)
    assert report.measured == len(HARD_CASES) * len(TAGS)
    assert report.problems == []
    manifest = json.loads((root / ".manifest.json").read_text())["outputs"]
    assert all(entry["pages"] >= 2 and 1 / 3 <= entry["last_page_fill"] <= 1 for entry in manifest.values())
    for pdf in sorted(root.glob("*/*.pdf")):  # library PDFs are PDF/UA-1 too, after the tighter layout
        report = page.validate_pdf(str(pdf), profile=page.ValidationProfile.PDF_UA_1)
        assert report.is_compliant, (pdf.name, [f.rule_id for f in report.failures])


def test_wasted_paper_is_named_by_check_and_the_build(tmp_path):
    root = tmp_path / "output"
    build(plan(default_library(), ["en", "de"], ["63271"], ["pdf"]), Settings(root), workers=1)
    manifest_path = root / ".manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["outputs"]["de/63271.pdf"].update(pages=9, last_page_fill=0.05)  # as an old layout did
    manifest_path.write_text(json.dumps(manifest))
    found = [str(f) for f in run_checks(built=root).findings if "63271.pdf" in f.path]
    assert any(
        "de/63271.pdf:1: warning: its last page is 5% full (at least a third wanted)" in f for f in found
    )
    assert any("de/63271.pdf:1: warning: 9 pages, the English" in f for f in found)
    text = run_cli("check", "--built", str(root)).stdout.decode()
    assert "Paper (PDFs as last built)" in text and "PDFs that waste paper: 1 of 2" in text


def test_print_layouts_never_make_type_smaller():
    """Paper is saved with space, never with smaller type: 13 pt body, 18 pt large print."""
    handout = (TEMPLATES_DIR / "handout.css").read_text()
    assert re.search(r"\.explainer-handout \{[^}]*font-size: 13pt;", handout)
    assert re.search(r"\.explainer-handout\.xh-large \{[^}]*font-size: 18pt;", handout)
    for name in ("page.css", "fit.css"):
        assert "font-size" not in (TEMPLATES_DIR / name).read_text(), name
