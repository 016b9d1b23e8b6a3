"""Where explainer's data lives, in a source checkout and in an installed wheel.

The repository keeps procedures/, templates/ and locales/ at the top level, for
authors and translators. A wheel carries the same folders inside the package, under
explainer/_data/ (see hatch_build.py), so an installed explainer needs no checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = PACKAGE_DIR / "_data"

DATA_ROOT = _BUNDLED if _BUNDLED.is_dir() else PACKAGE_DIR.parent
PROCEDURES_DIR = DATA_ROOT / "procedures"
TEMPLATES_DIR = DATA_ROOT / "templates"
LOCALES_DIR = DATA_ROOT / "locales"
