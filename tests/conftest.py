"""Shared helpers: real renders, read back with real PDF tools (poppler, pypdf)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from explainer.library import Library, default_library
from explainer.resources import PROCEDURES_DIR

from .stack import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
# The library as shipped: the 21 spine operations and the common outpatient families.
SPINE_CODES = [
    "63265", "63266", "63267", "63268", "63270", "63271", "63272", "63273", "63275", "63276", "63277",
    "63278", "63280", "63281", "63282", "63283", "63285", "63286", "63287", "63290", "63295",
]  # fmt: skip
COMMON_CODES = [
    "45378", "45380", "45384", "45385", "43235", "43239", "66984", "66982", "62321", "62323", "64479",
    "64483", "64490", "64493", "64633", "64635", "29880", "29881", "29888", "64721", "29848", "42820",
    "42821", "42825", "42826", "42830", "42831", "69433", "69436", "49505", "49650", "49591", "47562",
    "47563", "93454", "93458", "92928", "27130", "27447",
]  # fmt: skip
LIBRARY_SIZE = len(SPINE_CODES) + len(COMMON_CODES)
# Every process this test session starts inherits this mark, so the session can find
# them at the end, including orphans that were re-parented to PID 1.
SESSION_MARK = f"EXPLAINER_TEST_SESSION={os.getpid()}-{time.time_ns()}"
os.environ["EXPLAINER_TEST_SESSION"] = SESSION_MARK.split("=", 1)[1]


def processes_of_this_session() -> list[int]:
    """PIDs (not ours) whose environment carries this session's mark."""
    found = []
    mark = SESSION_MARK.encode() + b"\0"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark in (entry / "environ").read_bytes() + b"\0":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind():
    """The suite leaves no process behind: no service, PDF worker, forkserver or
    resource tracker outlives the tests (checked after the last test)."""
    yield
    deadline = time.monotonic() + 15
    while (left := processes_of_this_session()) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        commands = [
            Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in left if Path(f"/proc/{pid}").exists()
        ]
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
        pytest.fail(f"{len(left)} process(es) left behind: {commands}")


_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))


@pytest.fixture(scope="session")
def library() -> Library:
    return default_library()


@pytest.fixture
def source_copy(tmp_path: Path) -> Path:
    """A private copy of the procedure sources, to edit in a test."""
    target = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, target)
    return target


def pdf_text(pdf: bytes) -> str:
    """Text as pypdf reads it: in logical order, right-to-left runs included."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).translate(_BIDI_CONTROLS)


def squash(text: str, *, keep_spaces: bool = True) -> str:
    """Text compared across line breaks: NFC, collapsed white space (or none, for CJK)."""
    text = unicodedata.normalize("NFC", text).translate(_BIDI_CONTROLS)
    text = text.replace("\u00ad", "")
    return re.sub(r"\s+", " " if keep_spaces else "", text).strip()


def run_cli(*args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[bytes]:
    """The real command, in a fresh process."""
    result = subprocess.run([sys.executable, "-m", "explainer", *args], cwd=cwd, capture_output=True)
    if check and result.returncode:
        raise AssertionError(result.stderr.decode())
    return result


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
