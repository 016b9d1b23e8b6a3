"""The library build: incremental, reproducible, atomic, and its library page."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from explainer.build import MANIFEST, Settings, build, plan
from explainer.library import default_library
from explainer.resources import LOCALES_DIR, PROCEDURES_DIR

from .conftest import run_cli

ANTIBIOTICS = (
    "If the problem was an infection, you will get medicines called antibiotics to fight it. "
    "You often get them through a vein for 6 weeks or longer. "
    "You may get them at home through a thin tube in your arm."
)


def jobs(codes, tags, formats):
    return plan(default_library(), tags, codes, formats)


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A private, compiled copy of the catalogs, to change in a test."""
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target)
    return target


def set_translation(locales: Path, tag: str, msgid: str, text: str) -> None:
    po = locales / tag / "LC_MESSAGES" / "procedures.po"
    with po.open("rb") as file:
        catalog = read_po(file)
    catalog[msgid].string = text
    with po.with_suffix(".mo").open("wb") as file:
        write_mo(file, catalog)
    os.utime(po, (1, 1))  # the PO is older than its fresh .mo


def test_nothing_changed_renders_nothing(tmp_path):
    work = jobs(["63265", "63286"], ["en", "ar"], ["html", "fragment", "pdf"])
    settings = Settings(root=tmp_path / "out")
    first = build(work, settings, workers=2)
    assert sorted(first.rendered) == sorted(job.name for job in work) and not first.failed
    again = build(work, settings, workers=2)
    assert again.rendered == [] and again.unchanged == len(work)
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert set(manifest["outputs"]) == {job.name for job in work}


def test_one_changed_translation_rebuilds_exactly_the_handouts_that_use_it(tmp_path, locales):
    work = jobs(["63265", "63266", "63270", "63280"], ["es", "de"], ["html", "fragment"])
    settings = Settings(root=tmp_path / "out", locales_dir=locales)
    build(work, settings, workers=1)
    set_translation(
        locales, "es", ANTIBIOTICS, "Si fue una infección, le darán antibióticos durante varias semanas."
    )
    again = build(work, settings, workers=1)
    assert sorted(again.rendered) == [
        "es/63265.fragment.html",
        "es/63265.html",
        "es/63266.fragment.html",
        "es/63266.html",
    ]
    assert "durante varias semanas" in (tmp_path / "out" / "es" / "63265.html").read_text()


def test_a_translation_takes_its_page_budget_from_the_english_pdf_not_a_second_layout(tmp_path):
    """English PDFs go first; a translation learns the English page count from the
    build or from a manifest entry of today's inputs, and lays English out itself only
    when neither holds it (the page budget of pdf.Layout)."""
    from explainer import pdf

    settings = Settings(root=tmp_path / "out")
    pdf._ENGLISH_PAGES.clear()  # the budgets a process lays out for itself
    first = build(jobs(["69433"], ["es", "en"], ["pdf"]), settings, workers=1)
    assert first.rendered == ["en/69433.pdf", "es/69433.pdf"] and not pdf._ENGLISH_PAGES

    spanish = jobs(["69433"], ["es"], ["pdf"])
    assert build(spanish, settings, workers=1, force=True).rendered == ["es/69433.pdf"]
    assert not pdf._ENGLISH_PAGES  # from the manifest

    manifest_path = settings.root / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["outputs"]["en/69433.pdf"]["inputs"] = "0" * 64  # English changed since
    manifest_path.write_text(json.dumps(manifest))
    assert build(spanish, settings, workers=1, force=True).rendered == ["es/69433.pdf"]
    assert list(pdf._ENGLISH_PAGES.values()) == [manifest["outputs"]["en/69433.pdf"]["pages"]]


def test_an_altered_or_missing_output_is_rebuilt(tmp_path):
    work = jobs(["63271"], ["en"], ["html", "pdf"])
    settings = Settings(root=tmp_path / "out")
    build(work, settings, workers=1)
    (tmp_path / "out" / "en" / "63271.pdf").write_bytes(b"%PDF-1.7 truncated")
    (tmp_path / "out" / "en" / "63271.html").unlink()
    again = build(work, settings, workers=1)
    assert sorted(again.rendered) == ["en/63271.html", "en/63271.pdf"]
    assert (tmp_path / "out" / "en" / "63271.pdf").read_bytes().endswith(b"%%EOF\n")


def test_the_same_inputs_give_the_same_bytes(tmp_path):
    work = jobs(["63282", "63290"], ["zh", "ar", "vi"], ["pdf", "html", "fragment"])
    build(work, Settings(root=tmp_path / "a"), workers=2)
    build(work, Settings(root=tmp_path / "b"), workers=1, force=True)
    for job in work:
        assert (tmp_path / "a" / job.name).read_bytes() == (tmp_path / "b" / job.name).read_bytes(), job.name


def test_a_failing_handout_is_reported_and_the_rest_is_built(tmp_path):
    procedures = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, procedures)
    path = procedures / "63271.md"
    path.write_text(
        path.read_text().replace("## Why it is done\n", "## Why it is done\n\nA new, untranslated line.\n")
    )
    work = jobs(["63270", "63271"], ["fr"], ["html"])
    result = build(work, Settings(root=tmp_path / "out", procedures_dir=procedures), workers=1)
    assert result.rendered == ["fr/63270.html"]
    assert "not translated into 'fr'" in result.failed["fr/63271.html"]


# Seven handouts in three languages: 21 PDFs, enough to kill a build part-way.
SOME = ("45378", "45380", "45384", "45385", "43235", "43239", "63271")
SOME_CODES = [arg for code in SOME for arg in ("--code", code)]


def test_a_killed_build_leaves_whole_files_and_the_next_build_completes_it(tmp_path):
    out = tmp_path / "out"
    args = [
        sys.executable,
        "-m",
        "explainer",
        "build",
        "--output-dir",
        str(out),
        "--jobs",
        "1",
        "--format",
        "pdf",
        "--lang",
        "en",
        "--lang",
        "zh",
        "--lang",
        "ar",
        *SOME_CODES,
    ]
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*/*.pdf"))) < 3:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    written = list(out.glob("*/*.pdf"))
    assert 3 <= len(written) < 21, "killed part-way"
    assert all(path.read_bytes().endswith(b"%%EOF\n") for path in written), "no half-written PDF"
    (out / "en").mkdir(exist_ok=True)
    (out / "en" / ".45378.pdf.left.tmp").write_bytes(b"half")  # as a kill mid-write would leave

    result = run_cli(
        "build",
        "--output-dir",
        str(out),
        "--format",
        "pdf",
        "--lang",
        "en",
        "--lang",
        "zh",
        "--lang",
        "ar",
        *SOME_CODES,
        cwd=tmp_path,
        check=True,
    )
    assert "failed 0" in result.stdout.decode()
    pdfs = list(out.glob("*/*.pdf"))
    assert len(pdfs) == 21 and all(path.read_bytes().endswith(b"%%EOF\n") for path in pdfs)
    assert not list(out.glob("**/.*.tmp"))
    again = run_cli(
        "build",
        "--output-dir",
        str(out),
        "--format",
        "pdf",
        "--lang",
        "en",
        "--lang",
        "zh",
        "--lang",
        "ar",
        *SOME_CODES,
        cwd=tmp_path,
        check=True,
    )
    assert "rendered 0, unchanged 21" in again.stdout.decode()


def test_build_command_logs_progress_and_writes_the_library_page(tmp_path):
    result = run_cli(
        "build",
        "--output-dir",
        "out",
        "--format",
        "html",
        "--code",
        "63286",
        "--code",
        "63290",
        cwd=tmp_path,
        check=True,
    )
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 20 and lines[-1].startswith("[20/20] ")
    index = (tmp_path / "out" / "index.html").read_text()
    assert '<a href="#ar" lang="ar" dir="rtl" hreflang="ar">العربية</a>' in index
    assert index.count('href="es/63286.html"') == 1 and 'href="es/63286.pdf"' not in index
    assert index.count('<span class="code" dir="ltr">63295</span>') == 10  # every procedure, every language


def test_commands_that_make_no_pdf_do_not_import_weasyprint(tmp_path):
    probe = (
        "import sys\nfrom explainer.cli import main\n"
        "for args in (['procedures'], ['languages'], ['render', '63271', '--format', 'html', '-o', 'x.html'],"
        " ['build', '--output-dir', 'o', '--format', 'html', '--code', '63271']):\n"
        "    main(args)\n"
        "print('weasyprint' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, check=True)
    assert result.stderr.decode().strip().splitlines()[-1] == "False"
