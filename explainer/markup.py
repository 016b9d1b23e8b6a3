"""Turn one translated message into safe inline HTML.

Messages come from translators, so they are untrusted: Python-Markdown is cut down
to emphasis only (no raw HTML, links, images or block syntax), and its output is
the only markup that reaches a handout.
"""

from __future__ import annotations

from functools import cache

import markdown
from markupsafe import Markup

_UNSAFE_INLINE = (
    "html",
    "entity",
    "link",
    "image_link",
    "image_reference",
    "reference",
    "short_reference",
    "short_image_ref",
    "autolink",
    "automail",
    "linebreak",
)
_BLOCKS = ("indent", "code", "hashheader", "setextheader", "hr", "olist", "ulist", "quote", "reference")


@cache
def _converter() -> markdown.Markdown:
    converter = markdown.Markdown(output_format="html")
    converter.preprocessors.deregister("html_block")
    for name in _UNSAFE_INLINE:
        converter.inlinePatterns.deregister(name, strict=False)
    # A message is one paragraph or list item: block syntax in it stays text.
    for name in _BLOCKS:
        converter.parser.blockprocessors.deregister(name, strict=False)
    return converter


def inline_html(text: str) -> Markup:
    """Emphasis as <strong>/<em>; everything else, '<' included, stays literal text."""
    converter = _converter()
    converter.reset()
    html = converter.convert(text)
    if html.startswith("<p>") and html.endswith("</p>"):
        html = html[3:-4]
    return Markup(html)
