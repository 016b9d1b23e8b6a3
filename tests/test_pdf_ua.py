"""PDF/UA-1: every kind of PDF we make, in every language, passes a PDF/UA-1 validator
(page, which implements the Matterhorn Protocol's machine-checkable rules), and our
own structure checks read back with pypdf for what a validator cannot know: that a
second language is marked where it is used."""

from __future__ import annotations

import io
from collections.abc import Iterator

import page
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from explainer.cli import render_bytes
from explainer.languages import TAGS, get_language
from explainer.options import make_options

VARIANTS = [(tag, {}) for tag in TAGS] + [
    ("ar", {"also_lang": "en"}),
    ("en", {"also_lang": "zh"}),
    ("es", {"also_lang": "ar", "large_print": True}),
    ("ko", {"large_print": True}),
    ("en", {"note": "Ven el lunes a las 7:30.", "note_lang": "es"}),
    ("ar", {"note": "Call us on Monday.", "note_lang": "en"}),
]


def render(tag: str, chosen: dict) -> bytes:
    options = make_options(get_language(tag), **chosen)
    return render_bytes("63271", tag, "pdf", options=options)


def elements(pdf: bytes) -> Iterator[tuple[DictionaryObject, str]]:
    """Every structure element, with its parent's type."""
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()

    def walk(node, parent: str) -> Iterator[tuple[DictionaryObject, str]]:
        node = node.get_object()
        if not isinstance(node, DictionaryObject) or "/S" not in node:
            return
        yield node, parent
        kids = node.get("/K")
        for kid in kids if isinstance(kids, ArrayObject) else [kids]:
            if kid is not None:
                yield from walk(kid, node["/S"])

    kids = root["/K"]
    for kid in kids if isinstance(kids, ArrayObject) else [kids]:
        yield from walk(kid, "/StructTreeRoot")


@pytest.mark.parametrize(("tag", "chosen"), VARIANTS, ids=lambda v: str(v))
def test_pdf_ua_1(tag, chosen):
    pdf = render(tag, chosen)
    report = page.validate_pdf_bytes(pdf, profile=page.ValidationProfile.PDF_UA_1)
    assert report.is_compliant, [f"{f.rule_id}: {f.message}" for f in report.failures]

    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == tag
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp and "<dc:title>" in xmp

    found = list(elements(pdf))
    for element, parent in found:
        if element["/S"] == "/L":
            kids = element["/K"] if isinstance(element["/K"], ArrayObject) else [element["/K"]]
            assert all(k.get_object()["/S"] in ("/LI", "/L", "/Caption") for k in kids)
        if element["/S"] == "/LI":
            assert parent == "/L"
        if element["/S"] == "/Figure":
            assert element.get("/Alt"), "a figure without alternate text"
    marked = {str(element["/Lang"]) for element, _ in found if "/Lang" in element}
    other = {chosen.get("also_lang"), chosen.get("note_lang")} - {None, tag}
    assert other <= marked, f"second language not marked: {other - marked}"
    assert tag not in marked  # the document's own language is said once, on the catalog
