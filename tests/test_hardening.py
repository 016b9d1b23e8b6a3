"""Careless and hostile input to the CLI, the build, clinic settings and the check:
each gives one clear line, replaces nothing that is not a regular file, and loses
nothing. Real files, real processes, real PO files."""

from __future__ import annotations

import json
import os
import stat
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explainer.build import Settings, build, plan
from explainer.clinic import ClinicSettingsError, load_clinic, parse_clinic
from explainer.errors import OutputError
from explainer.languages import get_language
from explainer.library import default_library
from explainer.options import OptionError, make_options
from explainer.output import write_atomic
from explainer.quality.check import run_checks
from explainer.render import render_html

from .conftest import run_cli
from .test_check import FEVER, edit_catalog, findings, tree  # noqa: F401 - the fixture

ENGLISH = get_language("en")


def one_line_error(result) -> str:
    """The CLI failed with exactly one line on stderr and no traceback; that line."""
    err = result.stderr.decode()
    assert result.returncode != 0, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


# Output files --------------------------------------------------------------------


def test_output_never_replaces_a_fifo_a_link_or_a_directory(tmp_path):
    fifo, target, link, folder = (tmp_path / name for name in ("fifo", "target", "link", "folder"))
    os.mkfifo(fifo)
    target.write_text("keep me")
    link.symlink_to(target)
    folder.mkdir()
    for path, kind in ((fifo, "a named pipe"), (link, "a symbolic link"), (folder, "a directory")):
        err = one_line_error(run_cli("render", "63271", "--format", "html", "-o", str(path)))
        assert f"will not replace {path}: it is {kind}" in err
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and link.is_symlink() and target.read_text() == "keep me"
    assert list(tmp_path.glob(".*.tmp")) == []


def test_output_never_replaces_a_device(tmp_path):
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # like /dev/null, in our own folder
    except PermissionError:
        pytest.skip("creating a device file needs root")
    err = one_line_error(run_cli("render", "63271", "--format", "html", "-o", str(device)))
    assert "it is a character device, not a regular file" in err
    assert stat.S_ISCHR(device.lstat().st_mode)


def test_an_unwritable_place_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    err = one_line_error(
        run_cli("render", "63271", "--format", "html", "-o", str(tmp_path / "file" / "a.html"))
    )
    assert err.startswith("explainer: error: cannot write") and "Not a directory" in err
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(tmp_path / "file" / "b.html", b"x")


def test_one_unwritable_output_does_not_stop_the_build(tmp_path):
    root = tmp_path / "output"
    (root / "en" / "63271.html").mkdir(parents=True)  # a folder where a file must go
    result = build(plan(default_library(), ["en"], ["63271", "63272"], ["html"]), Settings(root), workers=1)
    assert list(result.failed) == ["en/63271.html"] and "it is a directory" in result.failed["en/63271.html"]
    assert result.rendered == ["en/63272.html"] and (root / "en" / "63272.html").is_file()


@pytest.mark.parametrize(
    "manifest",
    [
        "[]",
        "null",
        '"x"',
        '{"version": 1, "outputs": []}',
        '{"version": 1, "outputs": {"en/63271.html": {}}}',
    ],
)
def test_a_manifest_of_the_wrong_shape_is_rebuilt_not_fatal(tmp_path, manifest):
    root = tmp_path / "output"
    root.mkdir()
    (root / ".manifest.json").write_text(manifest)
    result = build(plan(default_library(), ["en"], ["63271"], ["html"]), Settings(root), workers=1)
    assert result.rendered == ["en/63271.html"] and not result.failed
    assert json.loads((root / ".manifest.json").read_text())["outputs"]["en/63271.html"]["size"] > 0


# Typed text: notes and clinic settings ---------------------------------------------------


def test_direction_controls_in_a_note_are_refused_by_name(tmp_path):
    err = one_line_error(
        run_cli(
            "render",
            "63271",
            "--format",
            "html",
            "-o",
            str(tmp_path / "a.html"),
            "--note",
            "Take \u202e05\u202c mg",
        )
    )
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in err and "order in which letters and numbers print" in err
    assert not (tmp_path / "a.html").exists()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_a_note_prints_as_typed_or_is_refused(note):
    """Property: every note is either refused with OptionError, or printed exactly as typed
    (escaped, stripped of outer white space) with no invisible reordering character."""
    try:
        options = make_options(ENGLISH, note=note)
    except OptionError as error:
        assert str(error).startswith("the care-team note")
        return
    if not options.note:
        return
    library = default_library()
    html = render_html(library.get("63271"), ENGLISH, library, options=options)
    from markupsafe import escape

    assert str(escape(options.note)) in html
    assert not any(
        c in options.note for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    )


@pytest.mark.parametrize(
    "toml, expected",
    [
        ('clinic = "abc"', "'clinic' must be one table of fields"),
        ('[[clinic]]\nname = "A"', "'clinic' must be one table of fields"),
        ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ('[clinic]\nname = "Clinic \u202e5\u202c"', "U+202E"),
        ('[clinic]\nname = "Clinic\\u0007"', "U+0007"),
        ('[clinic]\nonline_url = "https://x.org/{lang}/{code}\u200f"', "U+200F"),
    ],
)
def test_clinic_settings_of_the_wrong_shape_are_one_line(tmp_path, toml, expected):
    path = tmp_path / "clinic.toml"
    path.write_text(toml, encoding="utf-8")
    err = one_line_error(
        run_cli("render", "63271", "--format", "html", "-o", str(tmp_path / "a.html"), "--clinic", str(path))
    )
    assert expected in err
    err = one_line_error(run_cli("serve", "--port", "9", "--clinic", str(path)))
    assert expected in err


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "phone",
                "website",
                "paper",
                "languages",
                "online_url",
                "language_help",
                "address",
                "other",
            ]
        ),
        _VALUES,
        max_size=6,
    )
)
def test_any_clinic_table_is_accepted_or_refused_with_its_fields_named(tmp_path_factory, data):
    try:
        clinic = parse_clinic(
            {k: v for k, v in data.items() if v is not None}, tmp_path_factory.getbasetemp() / "c.toml"
        )
    except ClinicSettingsError as error:
        assert error.problems and all(p.startswith(("field '", "unknown field '")) for p in error.problems)
        return
    assert clinic.paper in ("letter", "a4")


def _png(width: int, height: int) -> bytes:
    """A real PNG of one colour, small on disk however many pixels it has."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"".join(b"\0" + b"\0" * width for _ in range(height)), 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "logo, expected",
    [
        (_png(8000, 8000), "is 8000x8000 pixels"),
        (b"<html><body>not a picture</body></html>", "is not a readable PNG image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "is not a readable PNG image"),
    ],
)
def test_a_logo_that_is_too_big_or_not_a_png_is_refused(tmp_path, logo, expected):
    (tmp_path / "logo.png").write_bytes(logo)
    (tmp_path / "clinic.toml").write_text('[clinic]\nname = "A"\nlogo = "logo.png"\n')
    with pytest.raises(ClinicSettingsError, match=expected):
        load_clinic(tmp_path / "clinic.toml")


def test_a_small_real_png_logo_is_accepted(tmp_path):
    (tmp_path / "logo.png").write_bytes(_png(300, 100))
    (tmp_path / "clinic.toml").write_text('[clinic]\nname = "A"\nlogo = "logo.png"\n')
    assert load_clinic(tmp_path / "clinic.toml").logo_type == "image/png"


# Arguments and files ------------------------------------------------------------------


def test_a_notes_file_is_read_only_up_to_the_limit(tmp_path):
    err = one_line_error(
        run_cli(
            "render", "63271", "--format", "html", "-o", str(tmp_path / "a.html"), "--notes-file", "/dev/zero"
        )
    )
    assert "larger than a note can be" in err
    (tmp_path / "latin1.txt").write_bytes("Café".encode("latin-1"))
    err = one_line_error(
        run_cli(
            "render", "63271", "--notes-file", str(tmp_path / "latin1.txt"), "-o", str(tmp_path / "b.html")
        )
    )
    assert "is not UTF-8 text" in err


def test_arguments_that_are_not_utf8_are_one_line(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"explainer", b"render", b"63271", b"--note", b"caf\xe9"],
        capture_output=True,
        cwd=tmp_path,
    )
    assert "argument 4" in one_line_error(result) and "not valid UTF-8" in result.stderr.decode()


def test_check_of_an_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("check", "--procedures", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert "holds no procedure sources" in result.stdout.decode()


# The check: numbers in order, no links ------------------------------------------------------


def test_swapped_numbers_and_reversed_ranges_are_errors(tree):  # noqa: F811
    procedures, locales = tree
    fever = edit_catalog(locales, "es", "procedures", FEVER, "Tiene fiebre de 38 °F (100.4 °C) o más.")
    found = findings(run_checks(procedures, locales), "es/LC_MESSAGES/procedures.po")
    assert (
        f"{fever}: numbers are in another order: source ['100.4', '38'], translation ['38', '100.4'] "
        "(if the grammar needs it, mark the message '#, numbers-reordered')" in found
    )


def test_a_reordered_message_still_keeps_its_ranges(tree):  # noqa: F811
    procedures, locales = tree
    msgid = next(
        m for m in _catalog(locales, "zh") if "numbers-reordered" in m.flags and "2 到 5" in m.string
    )
    reversed_range = msgid.string.replace("2 到 5", "5 到 2")
    assert reversed_range != msgid.string
    line = edit_catalog(locales, "zh", "procedures", msgid.id, reversed_range)
    found = findings(run_checks(procedures, locales), "zh/LC_MESSAGES/procedures.po")
    assert f"{line}: the range 2 to 5 is reversed or broken in the translation" in found


def test_links_and_images_in_a_translation_are_errors(tree):  # noqa: F811
    procedures, locales = tree
    text = "Tiene fiebre de 100.4 °F (38 °C) o más. ![x](file:///etc/passwd) [y](javascript:alert(1))"
    line = edit_catalog(locales, "es", "procedures", FEVER, text)
    found = findings(run_checks(procedures, locales), "es/LC_MESSAGES/procedures.po")
    assert f"{line}: a translation may not hold links or images: '![x](file:///etc/passwd)'" in found


def _catalog(locales: Path, tag: str):
    from babel.messages.pofile import read_po

    with (locales / tag / "LC_MESSAGES" / "procedures.po").open("rb") as file:
        return list(read_po(file))


def test_errors_cross_from_worker_processes_intact():
    """A PDF worker's error is pickled back to the service; one that cannot be rebuilt
    there breaks the whole pool (found by the note test above)."""
    import pickle

    from explainer.errors import ContentError, ContentProblem, MissingGlyphs, MissingTranslations

    for error in (
        MissingTranslations("es", ["a", "b"]),
        MissingGlyphs("no font", "\U0001f9ea"),
        ContentError([ContentProblem(Path("63271.md"), 3, "bad")]),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["100.4", "38", "2", "1,000"]), st.integers(0, 9))
def test_any_translation_is_checked_without_crashing_and_a_changed_number_is_caught(text, number, digit):
    """Property over the PO path: whatever a translator writes, the check answers with
    findings, never an exception; and changing one digit of a number is always found."""
    from babel.messages.catalog import Catalog, Message

    from explainer.quality.check import _message_problems

    catalog = Catalog(locale="es")
    source = f"You have a fever of 100.4 °F (38 °C) or higher, 2 days, 1,000 people. {number}"
    assert isinstance(_message_problems(Message(source, text), catalog), list)
    changed = number[:-1] + str((int(number[-1]) + 1 + digit % 9) % 10)
    translation = source.replace(f". {number}", f". {changed}")
    assert changed != number and _message_problems(Message(source, translation), catalog)


def test_a_read_only_place_is_one_line(tmp_path):
    target = Path("/proc/explainer-test.html")  # procfs takes no new files, even from root
    err = one_line_error(run_cli("render", "63271", "--format", "html", "-o", str(target)))
    assert err.startswith(f"explainer: error: cannot write {target}")
