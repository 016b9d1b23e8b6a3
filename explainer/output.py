"""Writing handouts: default paths, and atomic writes that never leave half a file
and never replace anything that is not a regular file."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import OutputError

OUTPUT_DIR = Path("output")
SUFFIXES = {"pdf": ".pdf", "html": ".html", "fragment": ".fragment.html"}

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def default_path(code: str, lang: str, fmt: str, root: Path = OUTPUT_DIR) -> Path:
    return root / lang / f"{code}{SUFFIXES[fmt]}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one.

    Refuses a target that exists and is not a regular file (a device, a pipe, a
    link, a directory): renaming over it would destroy it. Every failure to write
    is an OutputError that names the path and the reason, in one line."""
    _refuse_special(path)
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        _refuse_special(path)  # it may have appeared while we wrote
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if temporary is not None and os.path.lexists(temporary):
            Path(temporary).unlink(missing_ok=True)


def _refuse_special(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    for test, kind in _KINDS:
        if test(mode):
            raise OutputError(
                f"will not replace {path}: it is {kind}, not a regular file; give the name of a file to write"
            )
