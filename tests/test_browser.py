"""Pages people see, checked in real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

from explainer.languages import get_language
from explainer.render import render_html

from .conftest import ARTIFACTS

HOST_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>
body { font: 11px Georgia, serif; color: rgb(10, 20, 30); background: rgb(250, 250, 240); }
h1, h2 { color: rgb(200, 0, 0); font-size: 30px; }
p, li { color: rgb(0, 90, 0); line-height: 1; }
ul { list-style: square; padding-left: 5px; }
</style></head><body>
<h1>Portal</h1><h2>Your visit</h2><p>Host paragraph.</p><ul><li>Host item</li></ul>
<div id="slot"></div></body></html>"""
HOST_STYLES = """() => [...document.querySelectorAll(
  'body, body > h1, body > h2, body > p, body > ul, body > ul > li')]
  .map(e => { const s = getComputedStyle(e);
    return [e.tagName, s.color, s.fontSize, s.fontFamily, s.lineHeight, s.listStyleType, s.paddingLeft,
            s.backgroundColor, s.direction].join('|'); })"""


@pytest.mark.parametrize("width", [390, 1024])
def test_arabic_page_lays_out_right_to_left_without_sideways_scrolling(browser, library, width):
    html = render_html(library.get("63271"), get_language("ar"), library)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_content(html)
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).direction") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    heading = page.locator("h2").first.bounding_box()
    assert heading["x"] + heading["width"] > width * 0.6, "an RTL heading starts at the right"
    body_size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('article section p')).fontSize)"
    )
    assert body_size >= 17
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"63271-ar-page-{width}.png"), full_page=False)
    page.close()


def test_fragment_does_not_restyle_the_host_page(browser, library):
    fragment = render_html(library.get("63271"), get_language("ar"), library, fragment=True)
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    page.set_content(HOST_PAGE)
    before = page.evaluate(HOST_STYLES)
    page.evaluate("html => { document.getElementById('slot').innerHTML = html; }", fragment)
    assert page.evaluate(HOST_STYLES) == before
    article = page.locator("article.explainer-handout")
    assert article.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert article.evaluate("e => e.lang") == "ar"
    page.screenshot(path=str(ARTIFACTS / "63271-ar-fragment-in-host.png"), full_page=True)
    page.close()


def test_library_page_searches_offline_and_switches_language(browser, tmp_path):
    from .conftest import run_cli

    run_cli(
        "build",
        "--output-dir",
        "out",
        "--format",
        "html",
        "--lang",
        "en",
        "--lang",
        "ar",
        "--lang",
        "vi",
        cwd=tmp_path,
        check=True,
    )
    page = browser.new_page(viewport={"width": 900, "height": 900})
    page.goto((tmp_path / "out" / "index.html").as_uri())
    english = page.locator("section#en")
    assert english.is_visible() and not page.locator("section#ar").is_visible()
    search = english.locator("input[type=search]")
    search.fill("6329")
    assert english.locator(".entries li:visible .code").all_inner_texts() == ["63290", "63295"]
    search.fill("TUMOR  meet")
    assert english.locator(".entries li:visible .code").all_inner_texts() == ["63287"]
    english.locator("input[type=search]").fill("zzz")
    assert english.locator(".none").is_visible()

    page.click("a[href='#ar']")
    arabic = page.locator("section#ar")
    assert arabic.is_visible() and not english.is_visible()
    assert arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.click("a[href='#vi']")
    vietnamese = page.locator("section#vi")
    vietnamese.locator("input[type=search]").fill("tuy song")  # without diacritics
    assert vietnamese.locator(".entries li:visible").count() > 0
    with page.expect_navigation():
        vietnamese.locator(".entries li:visible a").first.click()
    assert page.url.endswith(".html") and "/vi/" in page.url
    page.close()


HOST_CHECKS = """() => {
  const style = (selector) => { const s = getComputedStyle(document.querySelector(selector));
    return [s.color, s.fontSize, s.fontFamily, s.lineHeight].join('|'); };
  return {h1: style('header h1'), h2: style('main h2'), p: style('#host-text'), li: style('#host-list li'),
          body: style('body')};
}"""


def test_example_portal_embeds_by_iframe_and_fragment(browser, tmp_path):
    import subprocess
    import sys

    from .stack import Server, free_port

    examples = Path(__file__).resolve().parent.parent / "examples"
    portal_port = free_port()
    static = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(portal_port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(examples),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    portal = f"http://127.0.0.1:{portal_port}"
    service = Server(tmp_path, "--workers", "1", "--cors-origin", portal, "--frame-ancestor", portal)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{portal}/portal.html?service={service.url}")
        host_before = page.evaluate(HOST_CHECKS)
        article = page.locator("#embedded article.explainer-handout")
        article.wait_for()
        assert article.get_attribute("lang") == "ar"
        assert article.evaluate("e => getComputedStyle(e).direction") == "rtl"
        assert page.evaluate(HOST_CHECKS) == host_before
        # ... and the portal's own element styles do not leak into the handout either.
        title = article.locator(".xh-title")
        assert title.evaluate("e => getComputedStyle(e).color") == "rgb(11, 46, 89)"
        assert (
            article.locator("header").evaluate("e => getComputedStyle(e).backgroundColor")
            == "rgba(0, 0, 0, 0)"
        )
        assert (
            article.locator("section p")
            .first.evaluate("e => getComputedStyle(e).fontFamily")
            .startswith('"Noto')
        )
        assert host_before["h2"].startswith("rgb(30, 60, 90)|18px|Georgia")
        framed = page.frame_locator("#framed").locator("article.explainer-handout")
        framed.wait_for()
        assert framed.get_attribute("lang") == "es"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "portal-example.png"), full_page=True)

        # A page from an origin the service does not list can neither frame nor fetch.
        stranger = browser.new_page()
        stranger.goto(f"{portal}/portal.html?service={service.url}".replace("127.0.0.1", "localhost", 1))
        stranger.wait_for_function("document.getElementById('embedded').textContent.includes('unavailable')")
        frame = next(f for f in stranger.frames if f != stranger.main_frame)
        assert "explainer-handout" not in frame.content()
        stranger.close()
        page.close()
    finally:
        service.stop()
        static.terminate()


# Accessibility: axe-core (npm, pinned in package-lock.json) in the same Chromium --------

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe(page, *, rules: list[str] | None = None) -> list[str]:
    """axe-core's violations on the page as loaded: WCAG 2.2 A and AA, or the named rules."""
    page.add_script_tag(path=str(AXE))
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": WCAG_TAGS}
    violations = page.evaluate(
        "only => axe.run(document, {runOnly: only, resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')'))",
        only,
    )
    return violations


def _options(tag: str, **chosen):
    from explainer.options import make_options

    return make_options(get_language(tag), **chosen)


@pytest.mark.parametrize(
    ("tag", "chosen"),
    [
        ("en", {}),
        ("ar", {}),
        ("zh", {}),
        ("ar", {"also_lang": "en"}),
        ("en", {"large_print": True}),
        ("zh", {"also_lang": "es", "large_print": True}),
    ],
    ids=["en", "ar", "zh", "ar+en", "en-large", "zh+es-large"],
)
def test_standalone_pages_have_no_wcag_violations_and_one_main(browser, library, tag, chosen):
    html = render_html(library.get("45378"), get_language(tag), library, options=_options(tag, **chosen))
    page = browser.new_page()
    page.set_content(html)
    assert axe(page) == []
    assert axe(page, rules=["landmark-one-main", "region", "page-has-heading-one"]) == []
    page.close()


@pytest.mark.parametrize("tag", ["en", "ar", "zh"])
def test_a_fragment_in_a_host_page_has_no_wcag_violations(browser, library, tag):
    fragment = render_html(library.get("63271"), get_language(tag), library, fragment=True)
    page = browser.new_page()
    host = HOST_PAGE.replace("<head>", "<head><title>Portal</title>")  # the host's own duty
    page.set_content(host.replace('<div id="slot"></div>', "<main><div id='slot'></div></main>"))
    page.evaluate("html => { document.getElementById('slot').innerHTML = html; }", fragment)
    assert axe(page) == []
    page.close()


def test_library_page_has_no_wcag_violations_in_any_language(browser, library, tmp_path):
    from explainer.index import render_index
    from explainer.languages import TAGS

    (tmp_path / "index.html").write_text(render_index(tmp_path, library, list(TAGS)), encoding="utf-8")
    page = browser.new_page()
    page.goto((tmp_path / "index.html").as_uri())
    assert axe(page) == []
    assert axe(page, rules=["landmark-one-main", "region"]) == []
    for tag in ("ar", "zh"):
        page.click(f"nav a[hreflang='{tag}']")
        assert axe(page) == []
    page.close()
