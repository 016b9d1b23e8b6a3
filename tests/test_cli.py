"""The command line, run as a real process, as clinic staff would run it."""

from __future__ import annotations

import pytest

from .conftest import COMMON_CODES, LIBRARY_SIZE, SPINE_CODES, run_cli


def test_render_writes_the_default_path_and_prints_it(tmp_path):
    result = run_cli("render", "63271", "--lang", "es-MX", "--format", "html", cwd=tmp_path, check=True)
    path = tmp_path / "output" / "es" / "63271.html"
    assert result.stdout.decode().strip() == "output/es/63271.html"
    assert '<html lang="es" dir="ltr">' in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["63271.html"], "no temporary files left"


def test_render_pdf_and_fragment_to_default_paths(tmp_path):
    run_cli("render", "63278", "--lang", "ar", cwd=tmp_path, check=True)
    run_cli("render", "63278", "--lang", "ar", "--format", "fragment", cwd=tmp_path, check=True)
    assert (tmp_path / "output/ar/63278.pdf").read_bytes().startswith(b"%PDF-")
    assert (
        (tmp_path / "output/ar/63278.fragment.html")
        .read_text()
        .startswith('<article class="explainer-handout"')
    )


def test_render_to_standard_output(tmp_path):
    result = run_cli(
        "render", "63270", "--lang", "fil", "--format", "fragment", "-o", "-", cwd=tmp_path, check=True
    )
    assert result.stdout.decode().startswith('<article class="explainer-handout" lang="tl" dir="ltr">')
    assert not (tmp_path / "output").exists()


def test_render_to_a_named_file_on_a4(tmp_path):
    target = tmp_path / "handouts" / "spine.pdf"
    run_cli(
        "render", "63272", "--lang", "ZH-cn", "--paper", "a4", "-o", str(target), cwd=tmp_path, check=True
    )
    assert target.read_bytes().startswith(b"%PDF-")


def test_languages_lists_names_direction_completeness_and_review(tmp_path):
    out = run_cli("languages", cwd=tmp_path, check=True).stdout.decode()
    lines = out.splitlines()
    rows = {line.split()[0]: line for line in lines[1:11]}
    assert list(rows) == ["en", "es", "zh", "ru", "ar", "vi", "fr", "de", "ko", "tl"]
    # English is the source, not "reviewed"; its clinical review is counted per handout.
    assert lines[-1].startswith(f"Clinical review of the English text: 0 of {LIBRARY_SIZE} handouts")
    assert "العربية" in rows["ar"] and "rtl" in rows["ar"] and "100%" in rows["ar"] and "draft" in rows["ar"]
    assert "source" in rows["en"]
    assert f"0 of {LIBRARY_SIZE}, 0 partly" in rows["es"] and rows["es"].split()[-1] == "0"  # stale approvals


def test_procedures_lists_codes_with_titles_in_a_language(tmp_path):
    out = run_cli("procedures", "--lang", "de", cwd=tmp_path, check=True).stdout.decode()
    codes = [line.split()[0] for line in out.splitlines()]
    assert sorted(codes) == sorted(SPINE_CODES + COMMON_CODES)
    assert "Tumor" in out and "Darmspiegelung" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "63279"], "No handout for code 63279. Closest known codes: 63278, 63280, 63277."),
        (["render", "6327"], "'6327' is not a CPT or HCPCS code: a CPT code is five characters"),
        (["render", "abcde"], "'ABCDE' is not a CPT or HCPCS code"),
        (
            ["render", "63271", "--lang", "ja"],
            "Unsupported language 'ja'. Available: en, es, zh, ru, ar, vi, fr",
        ),
        (["render", "63271", "--lang", "zh-TW"], "only Simplified Chinese is available"),
        (["render", "63271", "--lang", "zh-Hant"], "only Simplified Chinese is available"),
        (["procedures", "--lang", "xx"], "Unsupported language 'xx'"),
        (["render", "63271", "--format", "docx"], "invalid choice: 'docx'"),
        (["render", "63271", "--paper", "legal"], "invalid choice: 'legal'"),
    ],
)
def test_bad_input_gets_one_clear_line_and_writes_nothing(tmp_path, args, message):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr.decode()
    assert result.stdout == b""
    assert list(tmp_path.iterdir()) == []


def test_an_error_keeps_an_existing_output_file(tmp_path):
    target = tmp_path / "keep.html"
    target.write_text("earlier handout")
    result = run_cli("render", "63271", "--lang", "zh-TW", "-o", str(target), cwd=tmp_path)
    assert result.returncode == 1
    assert target.read_text() == "earlier handout"
