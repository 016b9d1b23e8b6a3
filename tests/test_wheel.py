"""An installed wheel, away from the checkout, still finds its data."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_installed_wheel_renders_without_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("explainer-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "explainer/_data/procedures/63271.md" in names
    assert "explainer/_data/templates/handout.css" in names
    assert "explainer/_data/locales/ar/LC_MESSAGES/procedures.mo" in names
    assert not any(name.endswith(".po") for name in names)

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = "import explainer.resources as r; print(r.DATA_ROOT)"
    root = subprocess.run(
        [sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, check=True
    )
    assert root.stdout.decode().strip() == str(site / "explainer" / "_data")
    result = subprocess.run(
        [sys.executable, "-m", "explainer", "render", "63271", "--lang", "ar", "--format", "html", "-o", "-"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        check=True,
    )
    assert '<html lang="ar" dir="rtl">' in result.stdout.decode()
