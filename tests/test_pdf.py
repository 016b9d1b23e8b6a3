"""Real PDFs from WeasyPrint, read back with poppler and pypdf."""

from __future__ import annotations

import io
import re
import subprocess
from functools import cache

import pytest
from pypdf import PdfReader

from explainer.catalogs import Translator
from explainer.languages import TAGS, get_language
from explainer.library import default_library
from explainer.pdf import render_pdf

from .conftest import ARTIFACTS, pdf_text, squash

# The face each language must be set in: Han differs by region, Arabic needs its own.
FACES = {"zh": "Noto-Sans-CJK-SC", "ko": "Noto-Sans-CJK-KR", "ar": "Noto-Naskh-Arabic"}
LETTER, A4 = (612, 792), (595, 842)


@cache
def rendered(tag: str, code: str = "63271", paper: str = "letter") -> bytes:
    library = default_library()
    pdf = render_pdf(library.get(code), get_language(tag), library, paper=paper)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{code}-{tag}-{paper}.pdf").write_bytes(pdf)
    return pdf


def fonts(reader: PdfReader) -> dict[str, dict]:
    """Every font used on every page, by base name, with its descendant's descriptor."""
    found = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            found[str(font["/BaseFont"]).split("+", 1)[-1]] = {
                "encoding": font.get("/Encoding"),
                "descriptor": descendant["/FontDescriptor"].get_object(),
            }
    return found


@pytest.mark.parametrize("tag", TAGS)
def test_pdf_in_every_language(tag, library):
    language = get_language(tag)
    translator = Translator(language)
    procedure = library.get("63271")
    pdf = rendered(tag)
    reader = PdfReader(io.BytesIO(pdf))
    text = pdf_text(pdf)
    cjk = tag in {"zh", "ko"}

    # The "in simple words" paragraph, in this language, reads back from the PDF.
    paragraph = translator.text(procedure.sections[0].blocks[0].items[0].text).text
    assert squash(paragraph, keep_spaces=not cjk) in squash(text, keep_spaces=not cjk)

    # Every font embedded; none drew a missing glyph (WeasyPrint then switches the
    # font to a custom encoding that maps the missing characters to .notdef).
    used = fonts(reader)
    for name, font in used.items():
        descriptor = font["descriptor"]
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), name
        assert font["encoding"] == "/Identity-H", f"{name} has missing glyphs"
    face = FACES.get(tag, "Noto-Sans")
    assert any(name.startswith(face) for name in used), sorted(used)
    assert not any("CJK-JP" in name or "DejaVu" in name for name in used), sorted(used)

    # Metadata, tags, paper, large type.
    title = translator.text(procedure.title.text).text
    assert reader.metadata.title == title
    root = reader.trailer["/Root"]
    assert root["/Lang"] == tag
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
    assert tuple(round(float(v)) for v in reader.pages[0].mediabox[2:]) == LETTER

    # Footer: code, localized review date and "page X of Y" on every page. Text
    # extractors order short mixed-direction lines unreliably, so in Arabic the
    # footer may read back with its words in either order.
    pages = len(reader.pages)
    assert 3 <= pages <= 9  # the richer format; paper economy is its own issue
    flat = squash(text, keep_spaces=not cjk)
    page_of = translator.gettext("Page %(page)s of %(pages)s")
    footer = [page_of % {"page": n, "pages": pages} for n in range(1, pages + 1)]
    footer.append(translator.gettext("Not yet reviewed by a clinician."))
    for expected in footer:
        if language.direction == "rtl":
            words = expected.replace(":", " ").split()
            tight = squash(text, keep_spaces=False).replace(":", "")
            assert "".join(words) in tight or "".join(reversed(words)) in tight, expected
        else:
            assert squash(expected.strip(), keep_spaces=not cjk) in flat


def test_numbered_steps_line_up_on_the_dot_with_room_before_their_text(tmp_path):
    """Step numbers end at one place, so "9." and "10." line up on the dot and "10."
    keeps a gap before its text (in 63275's home care, 12 steps), read from the PDF."""
    path = tmp_path / "steps.pdf"
    path.write_bytes(rendered("en", "63275"))
    words = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True)
    boxes = [
        (text, float(x_min), float(x_max))
        for x_min, x_max, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', words.stdout
        )
    ]
    left = min(x_min for _, x_min, _ in boxes)  # the text area's left edge, near enough
    steps = [
        (text, x_max, boxes[index + 1][1])
        for index, (text, x_min, x_max) in enumerate(boxes[:-1])
        if re.fullmatch(r"\d+\.", text) and x_min < left + 13
    ]
    assert {"9.", "10.", "12."} <= {text for text, _, _ in steps}, steps
    assert max(x_max for _, x_max, _ in steps) - min(x_max for _, x_max, _ in steps) < 0.1, steps
    assert min(text_start - x_max for _, x_max, text_start in steps) >= 0.2 * 13, steps  # 0.2 em at 13 pt
