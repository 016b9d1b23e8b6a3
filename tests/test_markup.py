from __future__ import annotations

import pytest

from explainer.markup import inline_html


def test_emphasis_is_kept():
    assert inline_html("Call **right away**.") == "Call <strong>right away</strong>."


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=file:///etc/passwd>", "&lt;img src=file:///etc/passwd&gt;"),
        ("![x](file:///etc/passwd)", "![x](file:///etc/passwd)"),
        ("[click](http://example.com)", "[click](http://example.com)"),
        ("<http://example.com>", "&lt;http://example.com&gt;"),
        ("# Not a heading", "# Not a heading"),
        ("1. Not a list", "1. Not a list"),
        ("{{ 7*7 }}", "{{ 7*7 }}"),
    ],
)
def test_translations_cannot_inject_markup_links_or_images(text, shown):
    assert inline_html(text) == shown
