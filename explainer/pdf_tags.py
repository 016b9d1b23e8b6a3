"""Languages in the PDF's structure tree.

WeasyPrint writes the document's language on the catalog only: a bilingual
handout's English sections, or a care-team note in another language, would be
read aloud with the document's voice. PDF/UA asks for /Lang on every structure
element whose language differs from the document's. WeasyPrint builds each
structure element from one box in `weasyprint.pdf.tags._build_box_tree`, which
recurses through the module's own name; we wrap that function once, so every
element built from an HTML element with a `lang` attribute carries /Lang.
The wrapped function is internal to WeasyPrint; the version is locked, and a
test reads the tags back from a real bilingual PDF.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_INSTALLED = False


def install() -> None:
    """Wrap WeasyPrint's tag builder (once per process)."""
    global _INSTALLED
    if _INSTALLED:
        return
    import pydyf
    from weasyprint.pdf import tags

    build = tags._build_box_tree

    def build_with_languages(box: Any, parent: Any, pdf: Any, *args: Any) -> Iterator[Any]:
        element = getattr(box, "element", None)
        lang = element.get("lang") if element is not None and hasattr(element, "get") else None
        for built in build(box, parent, pdf, *args):
            document_lang = getattr(pdf.catalog.get("Lang"), "string", None)
            if lang and lang != document_lang and "Lang" not in built:
                built["Lang"] = pydyf.String(lang)
            yield built

    tags._build_box_tree = build_with_languages
    _INSTALLED = True
