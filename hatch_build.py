"""Wheel build hook: put procedures, templates and compiled catalogs inside the
package (explainer/_data/), so an installed explainer needs no checkout.

Editable installs read the checkout's folders directly and are left alone."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

POT_FILES = ("locales/messages.pot", "locales/procedures.pot")


class CompileCatalogs(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root, include = Path(self.root), build_data["force_include"]
        approvals = [
            p.relative_to(root).as_posix() for p in root.glob("locales/*/LC_MESSAGES/approvals.jsonl")
        ]
        for source in ("procedures", "templates", "locales/reviewers.toml", *POT_FILES, *approvals):
            include[str(root / source)] = f"explainer/_data/{source}"
        out = self._compiled = Path(tempfile.mkdtemp(prefix="explainer-mo-"))
        for po in sorted(Path(root, "locales").glob("*/LC_MESSAGES/*.po")):
            relative = po.relative_to(Path(root, "locales")).with_suffix(".mo")
            mo = out / relative
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)
            include[str(mo)] = f"explainer/_data/locales/{relative.as_posix()}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """The compiled catalogs are in the wheel now: leave no copy in the temp folder."""
        compiled = getattr(self, "_compiled", None)
        if compiled is not None:
            shutil.rmtree(compiled, ignore_errors=True)
