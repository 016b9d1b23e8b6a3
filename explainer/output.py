"""Writing handouts: default paths, and atomic writes that never leave half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

OUTPUT_DIR = Path("output")
SUFFIXES = {"pdf": ".pdf", "html": ".html", "fragment": ".fragment.html"}


def default_path(code: str, lang: str, fmt: str, root: Path = OUTPUT_DIR) -> Path:
    return root / lang / f"{code}{SUFFIXES[fmt]}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
