"""What a clinic adds: branding, notes, a second language, large print, taglines, QR."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from explainer.catalogs import Translator
from explainer.clinic import ClinicSettingsError, load_clinic
from explainer.languages import TAGS, get_language
from explainer.options import NOTE_LIMIT, TAGLINE, OptionError, make_options
from explainer.pdf import render_pdf
from explainer.render import render_html

from .conftest import ARTIFACTS, pdf_text, run_cli, squash

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HOSTILE_NOTE = "Bring your list.\n<script>alert(1)</script> <img src=file:///etc/passwd> {{ 7*7 }}"


@pytest.fixture(scope="module")
def clinic():
    return load_clinic(EXAMPLES / "clinic.toml")


def render(library, code, lang, *, pdf=False, **options):
    language = get_language(lang)
    chosen = make_options(language, **options)
    if pdf:
        return render_pdf(library.get(code), language, library, options=chosen)
    return render_html(library.get(code), language, library, options=chosen)


def test_clinic_block_in_html_and_pdf(library, clinic):
    html = render(library, "63271", "es", clinic=clinic)
    assert '<p class="xh-clinic-name" dir="ltr">Riverside Spine Center</p>' in html
    assert 'href="tel:+15550100199"' in html and "100 River Road, Springfield, IL 62701" in html
    assert '<img class="xh-logo" src="data:image/svg+xml;base64,' in html
    text = pdf_text(render(library, "63271", "es", pdf=True, clinic=clinic))
    assert "Riverside Spine Center" in text and "Teléfono: +1 (555) 010-0199" in text


def test_without_settings_there_is_no_clinic_block(library):
    html = render(library, "63271", "es")
    assert "xh-clinic" not in html.split("</style>")[-1] and "xh-taglines" not in html.split("</style>")[-1]


def test_a_note_is_text_shown_as_typed_in_its_own_language(library):
    html = render(library, "63271", "ar", note=HOSTILE_NOTE, note_lang="en")
    assert (
        '<p lang="en" dir="ltr">Bring your list.\n&lt;script&gt;alert(1)&lt;/script&gt; '
        "&lt;img src=file:///etc/passwd&gt; {{ 7*7 }}</p>" in html
    )
    assert (
        "<script>" not in html and "<img src=file" not in html and "49" not in html.split("xh-note")[-1][:300]
    )
    heading = Translator(get_language("ar")).gettext("Notes from your care team")
    assert heading in html
    pdf = render(library, "63271", "es", pdf=True, note=HOSTILE_NOTE, note_lang="en")
    assert "<script>alert(1)</script> <img src=file:///etc/passwd> {{ 7*7 }}" in squash(pdf_text(pdf))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"note": "x" * (NOTE_LIMIT + 1)}, f"has {NOTE_LIMIT + 1} characters; at most {NOTE_LIMIT}"),
        ({"note": "hi", "note_lang": "xx"}, "Unsupported language 'xx'"),
        ({"also_lang": "ja"}, "Unsupported language 'ja'"),
        ({"also_lang": "es-MX"}, "is the handout's own language"),
        ({"note": "bell\x07"}, "U+0007 (control character)"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(Exception, match=re.escape(message)) as caught:
        make_options(get_language("es"), **options)
    assert isinstance(caught.value, (OptionError, Exception))


def test_bilingual_sections_alternate_with_their_own_language_and_direction(library):
    html = render(library, "63271", "ar", also_lang="en")
    body = html.split("</style>")[-1]
    sections = re.findall(
        r'<section class="xh-section xh-([a-z-]+?)( xh-second)?"(?: lang="(\w+)" dir="(\w+)")?>', body
    )
    slugs = [s[0] for s in sections]
    assert slugs[:4] == ["key-points", "key-points", "in-simple-words", "in-simple-words"]
    assert sections[1][1:] == (" xh-second", "en", "ltr") and sections[0][1:] == ("", "", "")
    headings = re.findall(r"<h2>([^<]+)</h2>", body)
    assert (
        headings[headings.index("In simple words") - 1]
        == Translator(get_language("ar")).text("In simple words").text
    )

    pdf = render(library, "63271", "ar", pdf=True, also_lang="en")
    text = squash(pdf_text(pdf))
    first = library.get("63271").sections[0].blocks[0].items[0].text
    assert first in text and Translator(get_language("ar")).text(first).text in text
    _page_images(pdf, "63271-ar-en-bilingual")


def test_every_pair_of_languages_renders(library):
    for tag in TAGS:
        other = "ar" if tag != "ar" else "zh"
        assert 'class="xh-section xh-in-simple-words xh-second"' in render(
            library, "63295", tag, also_lang=other
        )


def test_large_print_is_18pt_and_clean(library):
    pdf = render(library, "63271", "en", pdf=True, large_print=True)
    boxes = _word_boxes(pdf)
    heights = sorted(box[3] - box[1] for page in boxes.values() for box in page)
    assert heights[len(heights) // 2] >= 18 * 1.2, "body text of at least 18 pt"
    width, height = 612, 792
    for number, words in boxes.items():
        for x0, y0, x1, y1 in words:
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, f"page {number}: clipped word"
        lines = sorted(words, key=lambda b: (b[1], b[0]))
        for a, b in itertools.pairwise(lines):
            overlap_x = min(a[2], b[2]) - max(a[0], b[0])
            overlap_y = min(a[3], b[3]) - max(a[1], b[1])
            assert overlap_x <= 1 or overlap_y <= 1, f"page {number}: words overlap"
    html = render(library, "63271", "en", large_print=True)
    assert '<article class="explainer-handout xh-large"' in html
    _page_images(pdf, "63271-en-large-print")


def test_taglines_in_all_ten_languages(library, clinic):
    html = render(library, "63271", "de", clinic=clinic)
    block = html.split('<aside class="xh-taglines">')[1].split("</aside>")[0]
    lines = re.findall(r'<p lang="(\w+)" dir="(\w+)">(.*?)</p>', block)
    assert [line[0] for line in lines] == list(TAGS)
    for tag, direction, text in lines:
        language = get_language(tag)
        assert direction == language.direction
        assert '<span class="xh-phone" dir="ltr">+1 (555) 010-0199</span>' in text
        translated = Translator(language).gettext(TAGLINE)
        assert tag == "en" or translated != TAGLINE
    pdf_lines = pdf_text(render(library, "63271", "de", pdf=True, clinic=clinic))
    assert "May libreng tulong sa inyong wika" in pdf_lines and "무료 언어 지원" in pdf_lines


def test_the_qr_code_opens_the_same_handout_online(library, clinic, tmp_path):
    pdf = render(library, "63282", "vi", pdf=True, clinic=clinic)
    (tmp_path / "h.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(tmp_path / "h.pdf"), str(tmp_path / "p")],
        check=True,
    )
    page = next(tmp_path.glob("p*.png"))
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True)
    assert decoded.stdout.strip() == "https://handouts.riverside.example.org/vi/63282.html"
    assert "xh-qr" not in render(library, "63282", "vi", clinic=clinic).split("</style>")[-1]


def test_a_bad_settings_file_names_every_bad_field(tmp_path):
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    (tmp_path / "clinic.toml").write_text(
        '[clinic]\nname = "X"\nphone = "call us"\nwebsite = "ftp://x"\npaper = "legal"\n'
        'languages = ["es", "ja"]\nlogo = "logo.gif"\nonline_url = "https://x.org/{code}"\ncolour = "blue"\n'
    )
    with pytest.raises(ClinicSettingsError) as caught:
        load_clinic(tmp_path / "clinic.toml")
    message = str(caught.value)
    for expected in (
        "unknown field 'colour'",
        "field 'phone'",
        "field 'website'",
        "field 'paper'",
        "Unsupported language 'ja'",
        "must be a .png or .svg",
        "field 'online_url'",
    ):
        assert expected in message
    assert len(caught.value.problems) == 7


def test_cli_errors_write_nothing(tmp_path):
    (tmp_path / "bad.toml").write_text('[clinic]\nphone = "12"\n')
    (tmp_path / "long.txt").write_text("word " * 300)
    cases = [
        (["--clinic", "bad.toml"], "field 'phone'"),
        (["--notes-file", "long.txt"], "characters; at most 1000"),
        (["--also-lang", "pt"], "Unsupported language 'pt'"),
        (["--note", "a", "--notes-file", "long.txt"], "not both"),
    ]
    for args, message in cases:
        result = run_cli("render", "63271", "--lang", "es", *args, cwd=tmp_path)
        assert result.returncode == 1 and message in result.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "long.txt"]


def test_cli_with_every_option(tmp_path):
    shutil.copy(EXAMPLES / "clinic.toml", tmp_path)
    shutil.copy(EXAMPLES / "clinic-logo.svg", tmp_path)
    result = run_cli(
        "render",
        "63278",
        "--lang",
        "zh",
        "--clinic",
        "clinic.toml",
        "--note",
        "周一 7:30 到。",
        "--note-lang",
        "zh",
        "--also-lang",
        "en",
        "--large-print",
        cwd=tmp_path,
        check=True,
    )
    path = tmp_path / result.stdout.decode().strip()
    assert path.name == "63278-personal.pdf", "a personal handout never replaces a library file"
    assert "周一 7:30 到。" in pdf_text(path.read_bytes())


def _word_boxes(pdf: bytes) -> dict[int, list[tuple[float, float, float, float]]]:
    out = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    pages: dict[int, list] = {}
    number = 0
    for line in out.splitlines():
        if "<page " in line:
            number += 1
        elif "<word " in line:
            values = [float(v) for v in re.findall(r'(?:xMin|yMin|xMax|yMax)="([\d.]+)"', line)]
            pages.setdefault(number, []).append(tuple(values))
    return pages


def _page_images(pdf: bytes, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-", str(ARTIFACTS / name)], input=pdf, check=True)
    assert list(ARTIFACTS.glob(f"{name}-*.png"))
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
