"""The lock file is what is installed, and it satisfies pyproject's ranges."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.lock_changes import changes, pins

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def locked() -> dict[str, tuple[str, str]]:
    """name -> (version, marker) for every pin in requirements.lock."""
    entries = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            pin, _, marker = line.rstrip(" \\").partition(";")
            name, _, pinned = pin.strip().partition("==")
            entries[canonicalize_name(name)] = (pinned, marker.strip())
    return entries


def test_every_locked_package_is_installed_at_its_locked_version():
    wrong = {
        name: (pinned, version(name))
        for name, (pinned, marker) in locked().items()
        if (not marker or Marker(marker).evaluate()) and version(name) != pinned
    }
    assert wrong == {}


def test_the_lock_satisfies_every_range_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    entries = locked()
    for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)  # fhir.resources is locked as fhir-resources
        assert name in entries, f"{name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(entries[name][0]), f"{name}: run `make lock`"


def test_every_pin_has_hashes():
    text = LOCK.read_text(encoding="utf-8")
    assert len(pins(LOCK)) == len(locked()) > 20
    assert text.count("==") <= text.count("--hash=sha256:")


def test_lock_changes_names_each_move(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    before.write_text("babel==2.18.0 \\\n    --hash=sha256:aa\nsix==1.16.0\nzipp==3.0\n")
    after.write_text("babel==2.19.0 \\\n    --hash=sha256:bb\nzipp==3.0\nidna==3.20 ; os_name != 'x'\n")
    assert changes(pins(before), pins(after)) == [
        "  changed  babel 2.18.0 -> 2.19.0",
        "  added    idna 3.20",
        "  removed  six 1.16.0",
    ]
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/lock_changes.py"), str(before), str(before)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "requirements.lock: 0 change(s)\n"


def test_the_service_lock_is_the_full_lock_without_test_tools():
    """requirements-service.lock (the Containerfile's) pins the same versions, with hashes."""
    full = {name: pinned for name, (pinned, _) in locked().items()}
    service = {}
    text = (ROOT / "requirements-service.lock").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")):
            name, _, pinned = line.rstrip(" \\").partition(";")[0].strip().partition("==")
            service[canonicalize_name(name)] = pinned
    assert {name: full.get(name) for name in service} == service
    assert {"weasyprint", "fastapi", "uvicorn", "hatchling"} <= set(service)
    assert not {"pytest", "playwright", "page-validation", "ruff"} & set(service)
    assert text.count("==") <= text.count("--hash=sha256:")
